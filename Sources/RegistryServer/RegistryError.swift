import Foundation
import Hummingbird
import OCI
import RegistryStore

/// The one place where failures become HTTP responses with the spec's error body.
struct RegistryError: Error {
    let status: HTTPResponse.Status
    let code: ErrorCode
    let message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: ErrorCode, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// Maps any error thrown while handling a request.
    init(_ error: any Error) {
        switch error {
        case let error as RegistryError:
            self = error
        case let error as OCIError:
            self.init(error.code == .nameUnknown ? .notFound : .badRequest, error.code, error.message)
        case let error as StoreError:
            self.init(store: error)
        case let error as OnDemandRefusal:
            self.init(.forbidden, .denied, error.message)
        case let error as OnDemandDeferred:
            self.init(.notFound, error.code, error.message)
        case let error as any HTTPResponseError:
            // Hummingbird's own limits (body too large and the like).
            self.init(error.status, error.status == .contentTooLarge ? .sizeInvalid : .unsupported, "\(error)")
        default:
            self.init(.internalServerError, .unknown, "internal error")
        }
    }

    private init(store error: StoreError) {
        switch error.code {
        case .invalid(let code): self.init(.badRequest, code, error.message)
        case .blobUnknown: self.init(.notFound, .blobUnknown, error.message)
        case .manifestUnknown: self.init(.notFound, .manifestUnknown, error.message)
        case .manifestBlobUnknown: self.init(.badRequest, .manifestBlobUnknown, error.message)
        case .nameUnknown: self.init(.notFound, .nameUnknown, error.message)
        case .uploadUnknown: self.init(.notFound, .blobUploadUnknown, error.message)
        case .uploadInvalid: self.init(.badRequest, .blobUploadInvalid, error.message)
        case .rangeNotSatisfiable: self.init(.rangeNotSatisfiable, .blobUploadInvalid, error.message)
        case .digestMismatch: self.init(.badRequest, .digestInvalid, error.message)
        case .sizeMismatch: self.init(.badRequest, .sizeInvalid, error.message)
        case .tooLarge: self.init(.contentTooLarge, .sizeInvalid, error.message)
        case .diskFull:
            // 507 tells a client this is the server's storage, not its request; retrying later can work.
            self.init(
                .init(code: 507, reasonPhrase: "Insufficient Storage"), .unknown,
                "the registry's disk is full; nothing was stored, and content already held can still be pulled")
        case .io: self.init(.internalServerError, .unknown, "storage failure")
        }
        if let offset = error.uploadOffset {
            headers[.range] = "0-\(max(offset - 1, 0))"
        }
    }

    /// Whether this is the server's fault, worth logging as an error.
    var isServerFault: Bool { status.code >= 500 }

    func response() -> Response {
        let body = ErrorResponse(code, message: message)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let bytes = (try? encoder.encode(body)) ?? Data("{\"errors\":[]}".utf8)
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
