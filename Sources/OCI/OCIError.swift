/// An error code from the OCI Distribution Specification's error table.
///
/// Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
    case blobUnknown = "BLOB_UNKNOWN"
    case blobUploadInvalid = "BLOB_UPLOAD_INVALID"
    case blobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
    case digestInvalid = "DIGEST_INVALID"
    case manifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
    case manifestInvalid = "MANIFEST_INVALID"
    case manifestUnknown = "MANIFEST_UNKNOWN"
    case nameInvalid = "NAME_INVALID"
    case nameUnknown = "NAME_UNKNOWN"
    case sizeInvalid = "SIZE_INVALID"
    case unauthorized = "UNAUTHORIZED"
    case denied = "DENIED"
    case unsupported = "UNSUPPORTED"
    case tooManyRequests = "TOOMANYREQUESTS"
    /// Not in the spec's table; the code Distribution uses for a server-side fault.
    case unknown = "UNKNOWN"
}

/// A validation failure on OCI input: a name, tag, digest, media type or manifest that breaks the spec.
public struct OCIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The spec's error code that best describes the failure.
    public let code: ErrorCode
    /// A human-readable message naming the offending input.
    public let message: String

    /// Makes an error with a spec code and a message.
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// The JSON error body the distribution spec defines: `{"errors":[{"code","message","detail"}]}`.
public struct ErrorResponse: Codable, Sendable, Equatable {
    /// One error entry.
    public struct Entry: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        public var detail: String?

        public init(code: ErrorCode, message: String, detail: String? = nil) {
            self.code = code.rawValue
            self.message = message
            self.detail = detail
        }
    }

    public var errors: [Entry]

    /// Makes a body with a single error entry.
    public init(_ code: ErrorCode, message: String, detail: String? = nil) {
        self.errors = [Entry(code: code, message: message, detail: detail)]
    }
}
