/// A validated content digest, `algorithm:encoded`, for a registered algorithm (sha256 or sha512).
///
/// Spec: https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The digest algorithms this registry can verify.
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha256
        case sha512

        /// Length of the lowercase hex encoding of a digest of this algorithm.
        public var hexLength: Int {
            switch self {
            case .sha256: 64
            case .sha512: 128
            }
        }
    }

    /// The hash algorithm.
    public let algorithm: Algorithm
    /// The lowercase hex encoding of the hash; safe to use as a file name.
    public let encoded: String

    /// Parses and validates `algorithm:hex`.
    public init(_ raw: String) throws(OCIError) {
        guard let colon = raw.firstIndex(of: ":") else {
            throw OCIError(.digestInvalid, "digest '\(raw.prefix(200))' has no algorithm prefix")
        }
        let algorithmPart = raw[..<colon]
        let encodedPart = raw[raw.index(after: colon)...]
        guard Self.isValidAlgorithmGrammar(algorithmPart) else {
            throw OCIError(.digestInvalid, "digest '\(raw.prefix(200))' has a malformed algorithm")
        }
        guard let algorithm = Algorithm(rawValue: String(algorithmPart)) else {
            throw OCIError(
                .digestInvalid, "digest algorithm '\(algorithmPart.prefix(50))' is not supported (sha256, sha512)")
        }
        guard encodedPart.utf8.count == algorithm.hexLength,
            encodedPart.utf8.allSatisfy(Self.isLowerHex)
        else {
            throw OCIError(
                .digestInvalid, "digest '\(raw.prefix(200))' must have \(algorithm.hexLength) lowercase hex characters")
        }
        self.algorithm = algorithm
        self.encoded = String(encodedPart)
    }

    /// Makes a digest from raw hash output bytes.
    public init(algorithm: Algorithm, hashBytes: some Sequence<UInt8>) {
        self.algorithm = algorithm
        self.encoded = hashBytes.lowercaseHex
    }

    /// The canonical string form, `algorithm:hex`.
    public var string: String { "\(algorithm.rawValue):\(encoded)" }
    public var description: String { string }

    /// The form used by the referrers tag schema: `algorithm-hex`.
    public var tagSchemaForm: String { "\(algorithm.rawValue)-\(encoded)" }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.string < rhs.string }

    private static func isLowerHex(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"))
    }

    /// `[a-z0-9]+([+._-][a-z0-9]+)*`
    private static func isValidAlgorithmGrammar(_ s: Substring) -> Bool {
        var previousWasSeparator = true
        for c in s.utf8 {
            let isComponent =
                (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
            let isSeparator =
                c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
            if isComponent {
                previousWasSeparator = false
            } else if isSeparator, !previousWasSeparator {
                previousWasSeparator = true
            } else {
                return false
            }
        }
        return !previousWasSeparator
    }
}

extension Digest: ValidatedString {
    public var text: String { string }
    public init(validating raw: String) throws(OCIError) { try self.init(raw) }
}
