import Foundation
import Hummingbird
import Logging
import OCI
import RegistryStore

/// Answers the OCI Distribution v1.1 API, plus `/healthz`, `/readyz` and `/metrics`, from a store.
///
/// Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md
public struct RegistryResponder: HTTPResponder {
    public typealias Context = RegistryRequestContext

    let store: RegistryStore
    let metrics: RegistryMetrics
    let logger: Logger
    /// Only GET and HEAD are served.
    let readOnly: Bool
    /// Where a requested name is kept.
    let namespaces: any RepositoryNamespaces
    /// What fetches content the store lacks (the satellite's pull-through).
    let onDemand: any ContentOnDemand
    /// The other satellites of the site, reading under `/_site/v2/…`.
    let sitePeers: any SitePeers
    /// Hears of the manifests devices asked for that the store did not hold.
    let demand: any DemandLog
    /// Bytes per read when streaming a blob out (512 KiB measured fastest; BENCHMARKS.md).
    let readChunkSize = 512 * 1024

    public init(
        store: RegistryStore, metrics: RegistryMetrics, logger: Logger, readOnly: Bool = false,
        namespaces: any RepositoryNamespaces = FlatNamespaces(), onDemand: any ContentOnDemand = NoContentOnDemand(),
        sitePeers: any SitePeers = NoSitePeers(), demand: any DemandLog = NoDemandLog()
    ) {
        self.demand = demand
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.readOnly = readOnly
        self.namespaces = namespaces
        self.onDemand = onDemand
        self.sitePeers = sitePeers
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        var label = "other"
        var response: Response
        do {
            response = try await dispatch(request, context: context, label: &label)
        } catch {
            let failure = RegistryError(error)
            if failure.isServerFault {
                logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            response = failure.response()
        }
        if label != "ops" {
            response.headers[.dockerDistributionAPIVersion] = "registry/2.0"
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.recordRequest(
            route: label, method: request.method.rawValue, status: response.status.code, seconds: seconds)
        return response
    }

    private func dispatch(_ request: Request, context: Context, label: inout String) async throws -> Response {
        let path = request.uri.path
        switch path {
        case "/healthz":
            label = "ops"
            return .text("ok\n")
        case "/readyz":
            label = "ops"
            _ = try await store.repositoryExists(RepositoryName("readiness-probe"))
            return .text("ready\n")
        case "/metrics":
            label = "ops"
            let body = await metrics.render(store: store)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        default:
            if path.hasPrefix(Self.sitePrefix + "/") {
                label = "site"
                return try await respondToPeer(request, context: context)
            }
        }
        guard let route = try RegistryRoute(path: path) else {
            throw RegistryError(.notFound, .unsupported, "no such endpoint: \(path.prefix(200))")
        }
        label = route.metricLabel
        let method = request.method
        if readOnly, method != .get, method != .head {
            throw RegistryError(
                .methodNotAllowed, .unsupported,
                "this registry is read-only: its content comes from the satellite's desired state")
        }
        let stored = { (name: RepositoryName) throws(RegistryError) -> RepositoryName in
            try self.stored(name, request)
        }
        switch route {
        case .base:
            guard method == .get || method == .head else { break }
            return .json("{}")
        case .catalog:
            guard method == .get else { break }
            return try await catalog(request)
        case .tags(let name):
            guard method == .get else { break }
            return try await tags(name, stored: stored(name), request)
        case .manifest(let name, let reference):
            switch method {
            case .get: return try await getManifest(name, reference, request, head: false)
            case .head: return try await getManifest(name, reference, request, head: true)
            case .put: return try await putManifest(name, reference, request)
            case .delete: return try await deleteManifest(name, reference)
            default: break
            }
        case .blob(let name, let digest):
            switch method {
            case .get: return try await getBlob(stored(name), digest, request, channel: context.channel, head: false)
            case .head: return try await getBlob(stored(name), digest, request, channel: context.channel, head: true)
            case .delete: return try await deleteBlob(name, digest)
            default: break
            }
        case .uploads(let name):
            guard method == .post else { break }
            return try await startUpload(name, request)
        case .upload(let name, let id):
            switch method {
            case .get: return try await uploadStatus(name, id)
            case .patch: return try await patchUpload(name, id, request)
            case .put: return try await finishUpload(name, id, request)
            case .delete: return try await cancelUpload(name, id)
            default: break
            }
        case .referrers(let name, let digest):
            guard method == .get else { break }
            return try await referrers(stored(name), digest, request)
        }
        throw RegistryError(
            .methodNotAllowed, .unsupported, "\(method.rawValue) is not supported on \(path.prefix(200))")
    }
}

extension RegistryResponder {
    /// The repository a read of `name` is served from.
    func stored(_ name: RepositoryName, _ request: Request) throws(RegistryError) -> RepositoryName {
        let resolution = namespaces.resolve(name, namespace: request.uri.queryParameters.get("ns"))
        if let failure = RegistryError(resolution) { throw failure }
        guard case .repository(let repository) = resolution else { return name }
        return repository
    }

    static func uploadLocation(_ name: RepositoryName, _ id: UploadID) -> String {
        "/v2/\(name)/blobs/uploads/\(id)"
    }

    /// The `Range` header of upload replies: the inclusive range of bytes held.
    static func uploadRange(_ offset: Int64) -> String {
        "0-\(max(offset - 1, 0))"
    }
}

extension Response {
    static func text(_ body: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ body: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(
        encoding value: some Encodable, contentType: String = "application/json", headers: HTTPFields = [:]
    ) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        var headers = headers
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// An empty-bodied reply with the given status and headers.
    static func empty(_ status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        if headers[.contentLength] == nil { headers[.contentLength] = "0" }
        return Response(status: status, headers: headers, body: ResponseBody())
    }
}
