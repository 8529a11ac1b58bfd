import HTTPServerSupport
import Hummingbird
import NIOCore
import OCI
import RegistryStore

extension RegistryResponder {
    /// Where the site's peers read this satellite's store: `/_site/v2/…`.
    static let sitePrefix = "/_site"

    /// A request from another satellite of the site (see `SitePeers`).
    func respondToPeer(_ request: Request, context: Context) async throws -> Response {
        let certificate = await PeerCertificate.of(context.channel)
        guard
            sitePeers.admits(certificate: certificate)
                || sitePeers.admits(authorization: request.headers[.authorization])
        else {
            sitePeers.refused()
            var error = RegistryError(
                .unauthorized, .unauthorized,
                """
                this endpoint serves the satellites of this site; present the site credential or a member's \
                certificate
                """
            )
            error.headers[.wwwAuthenticate] = "Basic realm=\"satellite site\""
            throw error
        }
        let method = request.method
        guard method == .get || method == .head else {
            throw RegistryError(.methodNotAllowed, .unsupported, "peers only read")
        }
        let path = String(request.uri.path.dropFirst(Self.sitePrefix.count))
        guard let route = try RegistryRoute(path: path) else {
            throw RegistryError(.notFound, .unsupported, "no such endpoint: \(request.uri.path.prefix(200))")
        }
        // What the store holds, and nothing fetched on a peer's behalf.
        let holdings = RegistryResponder(
            store: store, metrics: metrics, logger: logger, readOnly: true, namespaces: namespaces)
        let head = method == .head
        switch route {
        case .base:
            return .json("{}")
        case .blob(_, let digest):
            return try await peerBlob(try Digest(digest), request, channel: context.channel, head: head)
        case .manifest(let name, let reference):
            return try await holdings.getManifest(name, reference, request, head: head)
        case .tags(let name) where !head:
            return try await holdings.tags(name, stored: try stored(name, request), request)
        case .referrers(let name, let digest) where !head:
            return try await holdings.referrers(try stored(name, request), digest, request)
        default:
            throw RegistryError(.methodNotAllowed, .unsupported, "peers read blobs, manifests, tags and referrers")
        }
    }

    /// A blob by digest, whichever repository holds it. A miss says what this satellite's sync
    /// intends for it, so that a peer knows whether waiting for it is worthwhile.
    private func peerBlob(
        _ digest: Digest, _ request: Request, channel: any Channel, head: Bool
    ) async throws -> Response {
        guard let size = try await store.heldBlobSize(digest) else {
            var error = RegistryError(.notFound, .blobUnknown, "blob \(digest) is not held here")
            error.headers[.satellitePlan] = sitePeers.plan(for: digest)
            throw error
        }
        if head {
            var headers = Self.blobHeaders(digest)
            headers[.contentLength] = String(size)
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        let reader = try await store.openHeldBlob(digest)
        let (status, range, headers) = try Self.rangeAnswer(request, digest: digest, size: reader.size)
        let sender = BlobSender(
            channel: channel, reader: reader, range: range, chunkSize: readChunkSize, metrics: metrics)
        let peers = sitePeers
        let body = ResponseBody(contentLength: Int(range.count)) { writer in
            peers.served(bytes: try await sender.send())
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }
}
