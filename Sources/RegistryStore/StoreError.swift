import OCI

/// A failure of a store operation, with a code the HTTP layer maps to a status and an OCI error.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, independent of transport.
    public enum Code: Sendable, Equatable {
        /// The input broke the OCI spec (bad manifest, name, digest…).
        case invalid(ErrorCode)
        case blobUnknown
        case manifestUnknown
        case manifestBlobUnknown
        case nameUnknown
        case uploadUnknown
        /// The upload's state and the request disagree (wrong offset, concurrent use).
        case uploadInvalid
        /// The requested range lies outside the upload or blob.
        case rangeNotSatisfiable
        case digestMismatch
        case sizeMismatch
        /// More bytes than the store allows for this kind of content.
        case tooLarge
        /// The disk holding the store is full; the operation left nothing behind, reads go on,
        /// and writes succeed again once space is freed.
        case diskFull
        /// The disk or database failed; the operation left nothing behind.
        case io
    }

    public let code: Code
    public let message: String
    /// For upload errors: the number of bytes the upload holds, for the `Range` header.
    public let uploadOffset: Int64?

    public init(_ code: Code, _ message: String, uploadOffset: Int64? = nil) {
        self.code = code
        self.message = message
        self.uploadOffset = uploadOffset
    }

    /// Wraps an OCI validation error.
    public init(_ error: OCIError) {
        self.init(.invalid(error.code), error.message)
    }

    public var description: String { "\(code): \(message)" }
}

extension StoreError {
    /// The store does not hold what was asked for: a manifest, a blob or a repository.
    public var isMiss: Bool {
        switch code {
        case .blobUnknown, .manifestUnknown, .nameUnknown: true
        default: false
        }
    }
}
