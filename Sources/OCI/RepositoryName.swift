/// A validated repository name, such as `library/alpine`.
///
/// Grammar: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most 255 characters.
/// Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
public struct RepositoryName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The longest name accepted.
    public static let maxLength = 255

    /// The name as written.
    public let value: String

    /// Parses and validates a repository name.
    public init(_ raw: String) throws(OCIError) {
        guard !raw.isEmpty, raw.utf8.count <= Self.maxLength else {
            throw OCIError(.nameInvalid, "repository name must be 1 to \(Self.maxLength) characters")
        }
        for component in raw.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            guard Self.isValidComponent(component) else {
                throw OCIError(
                    .nameInvalid,
                    """
                    invalid repository name '\(raw.prefix(255))': components are lowercase letters and digits \
                    joined by '.', '_', '__' or '-'
                    """
                )
            }
        }
        self.value = raw
    }

    public var description: String { value }

    public static func < (lhs: RepositoryName, rhs: RepositoryName) -> Bool { lhs.value < rhs.value }

    private static func isAlphaNumeric(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    /// True when `component` could be one `/`-separated part of a repository name.
    public static func isValidComponent(_ component: String) -> Bool {
        isValidComponent(Array(component.utf8))
    }

    private static func isValidComponent(_ bytes: Substring.UTF8View.SubSequence) -> Bool {
        isValidComponent(Array(bytes))
    }

    private static func isValidComponent(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isAlphaNumeric(first), isAlphaNumeric(last) else {
            return false
        }
        var index = 0
        while index < bytes.count {
            let c = bytes[index]
            if isAlphaNumeric(c) {
                index += 1
                continue
            }
            // A separator run: ".", "_", "__", or one or more "-".
            var end = index
            while end < bytes.count, !isAlphaNumeric(bytes[end]) { end += 1 }
            let run = bytes[index..<end]
            let valid =
                run.elementsEqual([UInt8(ascii: ".")])
                || run.elementsEqual([UInt8(ascii: "_")])
                || run.elementsEqual([UInt8(ascii: "_"), UInt8(ascii: "_")])
                || run.allSatisfy { $0 == UInt8(ascii: "-") }
            guard valid else { return false }
            index = end
        }
        return true
    }
}

extension RepositoryName: ValidatedString {
    public var text: String { value }
    public init(validating raw: String) throws(OCIError) { try self.init(raw) }
}
