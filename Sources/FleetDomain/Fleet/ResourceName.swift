/// The name of a registry, group or satellite: 1–63 lower-case letters, digits, `-`, `_` or `.`,
/// starting and ending with a letter or digit (it appears in URLs, logs and as an upstream name).
public struct ResourceName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: String

    public init(_ raw: String, kind: String = "name") throws(GroundControlError) {
        let bytes = Array(raw.utf8)
        func alphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        guard (1...63).contains(bytes.count),
            let first = bytes.first, let last = bytes.last, alphanumeric(first), alphanumeric(last),
            bytes.allSatisfy({ alphanumeric($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E })
        else {
            throw GroundControlError(
                .invalidName,
                """
                \(kind) '\(raw.prefix(100))' must be 1 to 63 lower-case letters, digits, '-', '_' or '.', starting \
                and ending with a letter or digit
                """
            )
        }
        value = raw
    }

    public var description: String { value }

    public static func < (lhs: ResourceName, rhs: ResourceName) -> Bool { lhs.value < rhs.value }
}
