import Foundation
import Hummingbird
import Logging
import SatelliteProtocol

/// The one place where errors become responses: `{"code", "message"}` with the status the code
/// maps to. Also records each request in the metrics.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: GroundControlMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            // The router ignores a trailing '/', so `registries/` would reach the list: a name is
            // missing there, and an empty name names nothing.
            let path = request.uri.path
            if path.count > 1, path.hasSuffix("/") {
                throw GroundControlError(.notFound, "no such endpoint: \(request.method) \(path) (a name is missing after the last '/')")
            }
            response = try await next(request, context)
        } catch {
            response = render(error, request: request)
        }
        let elapsed = ContinuousClock.now - started
        metrics.recordRequest(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        return response
    }

    private func render(_ error: any Error, request: Request) -> Response {
        let failure: GroundControlError
        switch error {
        case let error as GroundControlError:
            failure = error
        case let error as FleetStoreError where error.kind == .constraint:
            // A concurrent change won the race (two creates of one name, a delete under a new use).
            failure = GroundControlError(.duplicate, "conflicting change: \(error.message)")
        case let error as FleetStoreError:
            logger.error("database failure", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            failure = GroundControlError(.unavailable, "the database is unavailable; try again")
        case let error as HTTPError where error.status == .notFound:
            failure = GroundControlError(.notFound, "no such endpoint: \(request.method) \(request.uri.path)")
        case let error as HTTPError where error.status == .methodNotAllowed:
            failure = GroundControlError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path)")
        case let error as any HTTPResponseError where (400..<500).contains(error.status.code):
            failure = GroundControlError(.init(name: "BAD_REQUEST", status: error.status.code), "\(error)")
        default:
            logger.error("unexpected failure", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            failure = GroundControlError(.internalError, "internal error")
        }
        let data = (try? APIJSON.encoder().encode(failure.body)) ?? Data()
        var response = APIBody.raw(data, status: .init(code: failure.code.status))
        if failure.code == .unauthorized {
            response.headers[.wwwAuthenticate] = "Bearer realm=\"ground-control\""
        }
        return response
    }
}
