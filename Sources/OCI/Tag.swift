/// A validated tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
///
/// Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
public struct Tag: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The longest tag accepted.
    public static let maxLength = 128

    /// The tag as written.
    public let value: String

    /// Parses and validates a tag.
    public init(_ raw: String) throws(OCIError) {
        let bytes = raw.utf8
        guard let first = bytes.first, bytes.count <= Self.maxLength,
            Self.isWord(first),
            bytes.dropFirst().allSatisfy({ Self.isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else {
            throw OCIError(
                .manifestInvalid, "invalid tag '\(raw.prefix(200))': tags match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
        }
        self.value = raw
    }

    public var description: String { value }

    public static func < (lhs: Tag, rhs: Tag) -> Bool { lhs.value < rhs.value }

    private static func isWord(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_")
    }
}

extension Tag: ValidatedString {
    public var text: String { value }
    public init(validating raw: String) throws(OCIError) { try self.init(raw) }
}

/// The `<reference>` of a manifest URL: a tag or a digest.
public enum Reference: Hashable, Sendable, CustomStringConvertible {
    case tag(Tag)
    case digest(Digest)

    /// Parses a reference: anything with a colon is a digest, anything else a tag.
    public init(_ raw: String) throws(OCIError) {
        if raw.contains(":") {
            self = .digest(try Digest(raw))
        } else {
            self = .tag(try Tag(raw))
        }
    }

    public var description: String {
        switch self {
        case .tag(let tag): tag.value
        case .digest(let digest): digest.string
        }
    }
}
