import Foundation
import OCI
import TestSupport
import Testing

extension SitePeersTests {
    /// A pull-through miss asks the site's peers too: with the upstream gone, a satellite that
    /// never held an image serves it to a client from what its peer holds.
    @Test func aPullThroughMissIsServedFromAPeerWhileTheUpstreamIsGone() async throws {
        try await Self.withOfflineHolder { images, upstream, holderPort in

            let port = try freePort()
            let state =
                Self.siteState(upstream, artifacts: [], peers: ["http://127.0.0.1:\(holderPort)"])
                + "proxy:\n  - upstream: central\n    repositories: [\"apps/*\"]\n"
            let proxy = try await Self.startMember(state, port: port, arguments: ["--upstream-timeout", "2"])
            defer { proxy.terminate() }
            // Its rules and peers come with the state: until it is taken, a pull is a plain miss.
            try await proxy.waitForStatus("the state taken") { $0.lastSync != nil }
            let pulled = try await httpGet(
                "\(proxy.baseURL)/v2/apps/app/manifests/v1", headers: ["Accept": MediaType.ociManifest])
            #expect(
                pulled.status == 200 && pulled.headers["docker-content-digest"] == images.app.digest.string,
                """
                \(pulled.status) \(String(decoding: pulled.body.prefix(300), as: UTF8.self))
                \(proxy.child.errorOutput.suffix(3000))
                """
            )
            for blob in try TestImages.blobs(of: [images.app], in: images.layout) {
                let reply = try await httpGet("\(proxy.baseURL)/v2/apps/app/blobs/\(blob.digest)")
                #expect(DigestHasher.digest(of: [UInt8](reply.body)) == blob.digest)
            }
            let metrics = String(decoding: try await httpGet("\(proxy.baseURL)/metrics").body, as: UTF8.self)
            #expect(
                metrics.split(separator: "\n").contains {
                    $0.hasPrefix("satellite_site_peer_bytes_total ") && !$0.hasSuffix(" 0")
                })
        }
    }
}
