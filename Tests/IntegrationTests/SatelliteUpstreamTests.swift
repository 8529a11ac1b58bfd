import Foundation
import Logging
import OCI
import RegistryStore
import Replication
import SatelliteProtocol
import StateContent
import TestSupport
import Testing

/// A `satellite serve` as the upstream: an OCI 1.1 registry with the referrers API (which
/// docker-registry 2.8 lacks), anonymous access.
@Suite(.serialized) struct SatelliteUpstreamTests {
    @Test func referrersComeThroughTheReferrersAPI() async throws {
        let upstream = try await SatelliteProcess()
        let work = try TemporaryDirectory("satellite-upstream")
        defer { work.remove() }
        do {
            let images = try TestImages(in: work)
            let skopeo = try requireTool("skopeo", package: "skopeo")
            try await runChecked(
                skopeo,
                [
                    "copy", "--preserve-digests", "--dest-tls-verify=false",
                    "oci:\(images.layout):first", "docker://\(upstream.host)/apps/app:v1",
                ])
            // An artifact about the image, pushed as an OCI 1.1 client does to a registry with the API.
            let empty = try await pushBlob(Data("{}".utf8), to: upstream.baseURL, repository: "apps/app")
            let manifest = """
                {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)",\
                "artifactType":"application/vnd.example.signature",\
                "config":{"mediaType":"\(MediaType.ociEmpty)","digest":"\(empty)","size":2},"layers":[],\
                "subject":{"mediaType":"\(MediaType.ociManifest)","digest":"\(images.first.digest)",\
                "size":\(images.first.size)}}
                """
            let put = try await httpSend(
                "PUT", "\(upstream.baseURL)/v2/apps/app/manifests/signature",
                headers: ["Content-Type": MediaType.ociManifest], body: Data(manifest.utf8))
            #expect(put.status == 201)
            let signature = DigestHasher.digest(of: Array(manifest.utf8))

            var logger = Logger(label: "test")
            logger.logLevel = .warning
            let store = try RegistryStore(directory: work.appending("store"), logger: logger)
            let replicator = Replicator(store: store, logger: logger)
            let report = await replicator.sync(
                DesiredState(
                    generation: 1, upstreams: [.init(name: "edge", url: upstream.baseURL)],
                    artifacts: [.init(upstream: "edge", repository: try RepositoryName("apps/app"), tag: try Tag("v1"))]
                ))
            await replicator.shutdown()
            #expect(report.succeeded, "\(report.artifacts)")
            let referrers = try await store.referrers(
                repository: try RepositoryName("edge/apps/app"), subject: images.first.digest, artifactType: nil)
            #expect(referrers.map(\.digest) == [signature])
            #expect(referrers.first?.artifactType == "application/vnd.example.signature")
        } catch {
            await upstream.cleanUp()
            throw error
        }
        await upstream.cleanUp()
    }

    private func pushBlob(_ bytes: Data, to base: String, repository: String) async throws -> Digest {
        let digest = DigestHasher.digest(of: [UInt8](bytes))
        let reply = try await httpSend("POST", "\(base)/v2/\(repository)/blobs/uploads/?digest=\(digest)", body: bytes)
        #expect(reply.status == 201)
        return digest
    }
}
