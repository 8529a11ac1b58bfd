import FleetDomain
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat
import SatelliteProtocol
import StrictJSON

/// JSON in and out of the API, with errors that name the offending field.
enum APIBody {
    /// Request bodies larger than this are refused with 413 before they are read further.
    static let defaultLimit = 1 << 20

    /// Decodes a JSON body of at most `limit` bytes. Duplicate keys are refused everywhere; unknown
    /// fields only where `strict` (admin requests: a misspelt field must not be lost without a
    /// word), not from satellites (a newer satellite may send fields this server does not know).
    static func decode<T: Decodable>(
        _ type: T.Type, from request: Request, limit: Int, strict: Bool = true
    ) async throws -> T {
        try decode(type, from: try await collect(request, limit: limit), strict: strict)
    }

    /// The body, refused with 413 above `limit` bytes.
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw GroundControlError(.bodyTooLarge, "the body is larger than \(limit) bytes")
        }
    }

    /// Decodes a body already read.
    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer, strict: Bool = true) throws -> T {
        do {
            return try StrictJSONDecoder(rejectsUnknownFields: strict).decode(type, from: buffer.readableBytesView)
        } catch let error as StrictJSONError {
            throw GroundControlError(.invalidBody, error.description)
        } catch let error as DecodingError {
            throw GroundControlError(.invalidBody, describe(error))
        } catch {
            throw GroundControlError(.invalidBody, "the body is not valid JSON: \(error)")
        }
    }

    /// `artifacts[0].repository: …` rather than Foundation's debug text.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String { StrictJSONError.path(codingPath) }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): is required"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): must be \(jsonName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): must be \(jsonName(type)), not null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON" }
            let reason =
                (context.underlyingError as? any CustomStringConvertible)?.description ?? context.debugDescription
            return "\(path(context.codingPath)): \(reason)"
        @unknown default:
            return "the body does not match the expected shape"
        }
    }

    private static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "a whole number"
        case is Double.Type: "a number"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }

    static func json<T: Encodable>(
        _ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
    ) throws -> Response {
        let data = try APIJSON.encoder().encode(value)
        return raw(data, status: status, headers: headers)
    }

    static func raw(_ data: Data, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(data.count)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func noContent() -> Response { Response(status: .noContent) }
}
