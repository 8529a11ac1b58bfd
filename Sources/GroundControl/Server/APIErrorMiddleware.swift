import FleetDomain
import Foundation
import Hummingbird
import Logging
import SatelliteProtocol

/// The one place where errors become responses: `{"code", "message"}` with the status the code
/// maps to, or the dashboard's error page for a failure of a page. Also records each request in
/// the metrics.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: GroundControlMetrics
    let logger: Logger
    let templates: DashboardTemplates

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            // The router ignores a trailing '/', so `registries/` would reach the list: a name is
            // missing there, and an empty name names nothing.
            let path = request.uri.path
            if path.count > 1, path.hasSuffix("/") {
                throw GroundControlError(
                    .notFound, "no such endpoint: \(request.method) \(path) (a name is missing after the last '/')")
            }
            response = try await next(request, context)
        } catch let error as DashboardPageError {
            let failure = answer(error.underlying, request: request)
            let page = ErrorPage(frame: error.frame, status: failure.code.status, message: failure.message)
            response = GroundControlAPI.html(templates.render(page, "error"), status: .init(code: failure.code.status))
        } catch {
            response = render(answer(error, request: request))
        }
        let elapsed = ContinuousClock.now - started
        metrics.recordRequest(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        return response
    }

    /// The error a client is told of: ours as they are, the database's and the router's in our
    /// terms, anything else as an internal error that only the log describes.
    private func answer(_ error: any Error, request: Request) -> GroundControlError {
        switch error {
        case let error as GroundControlError:
            return error
        case let error as FleetStoreError where error.kind == .constraint:
            // A concurrent change won the race (two creates of one name, a delete under a new use).
            return GroundControlError(.duplicate, "conflicting change: \(error.message)")
        case let error as FleetStoreError:
            logger.error("database failure", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return GroundControlError(.unavailable, "the database is unavailable; try again")
        case let error as HTTPError where error.status == .notFound:
            return GroundControlError(.notFound, "no such endpoint: \(request.method) \(request.uri.path)")
        case let error as HTTPError where error.status == .methodNotAllowed:
            return GroundControlError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path)")
        case let error as any HTTPResponseError where (400..<500).contains(error.status.code):
            return GroundControlError(.init(name: "BAD_REQUEST", status: error.status.code), "\(error)")
        default:
            logger.error("unexpected failure", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return GroundControlError(.internalError, "internal error")
        }
    }

    private func render(_ failure: GroundControlError) -> Response {
        let data = (try? APIJSON.encoder().encode(failure.body)) ?? Data()
        var response = APIBody.raw(data, status: .init(code: failure.code.status))
        if failure.code == .unauthorized {
            response.headers[.wwwAuthenticate] = "Bearer realm=\"ground-control\""
        }
        return response
    }
}

/// A failure while building a page for someone logged in: shown as the error page within the
/// dashboard's frame (their name, the sections), not as JSON.
struct DashboardPageError: Error {
    let frame: PageFrame
    let underlying: any Error
}
