import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OCI
import RegistryServer
import RegistryStore
import Testing

@Suite struct ManifestEndpointTests {
    @Test func pushAndPullByTagAndDigest() async throws {
        try await RegistryHarness.run { r in
            let (json, digest) = try await r.pushImage("lib/app", tag: "v1")
            #expect(digest == DigestHasher.digest(of: Array(json.utf8)))
            for reference in ["v1", digest.string] {
                let get = try await r.request(.get, "/v2/lib/app/manifests/\(reference)")
                #expect(get.status == .ok)
                #expect(String(buffer: get.body) == json)
                #expect(get.headers[.contentType] == MediaType.ociManifest)
                #expect(get.headers[.dockerContentDigest] == digest.string)
                #expect(get.headers[.contentLength] == "\(json.utf8.count)")
                let head = try await r.request(.head, "/v2/lib/app/manifests/\(reference)")
                #expect(head.status == .ok)
                #expect(head.headers[.contentLength] == "\(json.utf8.count)")
                #expect(head.headers[.dockerContentDigest] == digest.string)
            }
            try r.expectError(try await r.request(.get, "/v2/lib/app/manifests/v2"), .notFound, .manifestUnknown)
        }
    }

    /// Distribution spec conformance: GET or HEAD of a reference that is neither a tag nor a
    /// digest names no manifest: 404 MANIFEST_UNKNOWN (a PUT to it stays a 400).
    @Test(arguments: ["bad..tag!", "sha256:short", "-lead", String(repeating: "t", count: 200)])
    func pullingAnInvalidReferenceIsManifestUnknown(_ reference: String) async throws {
        try await RegistryHarness.run { r in
            _ = try await r.pushImage("repo", tag: "v1")
            let escaped = reference.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? reference
            try r.expectError(try await r.request(.get, "/v2/repo/manifests/\(escaped)"), .notFound, .manifestUnknown)
            #expect(try await r.request(.head, "/v2/repo/manifests/\(escaped)").status == .notFound)
            let put = try await r.request(
                .put, "/v2/repo/manifests/\(escaped)", headers: [.contentType: MediaType.ociManifest],
                body: Array("{}".utf8))
            #expect(put.status == .badRequest)
        }
    }

    @Test func bytesAreKeptExactly() async throws {
        try await RegistryHarness.run { r in
            let config = try await r.pushBlob("repo", Array("{}".utf8))
            // Odd whitespace and key order must survive: the digest is of these bytes.
            let json =
                "{ \"layers\" : [],\n  \"config\":{\"size\":2,\"digest\":\"\(config)\","
                + "\"mediaType\":\"application/vnd.oci.image.config.v1+json\"},\"schemaVersion\":2 }"
            let digest = try await r.pushManifest("repo", "odd", json)
            #expect(String(buffer: try await r.request(.get, "/v2/repo/manifests/\(digest)").body) == json)
        }
    }

    @Test func dockerSchema2AndManifestList() async throws {
        try await RegistryHarness.run { r in
            let config = try await r.pushBlob("d", Array("{}".utf8))
            let layer = try await r.pushBlob("d", Fixtures.bytes(10))
            let image = Fixtures.imageManifest(
                config: (config, 2), layers: [(layer, 10)], mediaType: MediaType.dockerManifest,
                layerType: "application/vnd.docker.image.rootfs.diff.tar.gzip")
            let imageDigest = try await r.pushManifest("d", "amd64", image, mediaType: MediaType.dockerManifest)
            let list = """
                {"schemaVersion":2,"mediaType":"\(MediaType.dockerManifestList)",\
                "manifests":[{"mediaType":"\(MediaType.dockerManifest)","digest":"\(imageDigest)",\
                "size":\(image.utf8.count),"platform":{"architecture":"amd64","os":"linux"}}]}
                """
            try await r.pushManifest("d", "latest", list, mediaType: MediaType.dockerManifestList)
            let get = try await r.request(.get, "/v2/d/manifests/latest")
            #expect(get.headers[.contentType] == MediaType.dockerManifestList)
            #expect(String(buffer: get.body) == list)
        }
    }

    @Test func indexNeedsItsManifests() async throws {
        try await RegistryHarness.run { r in
            let missing = DigestHasher.digest(of: Fixtures.bytes(3))
            let index = """
                {"schemaVersion":2,"mediaType":"\(MediaType.ociIndex)",\
                "manifests":[{"mediaType":"\(MediaType.ociManifest)","digest":"\(missing)","size":3}]}
                """
            let put = try await r.request(
                .put, "/v2/repo/manifests/multi", headers: [.contentType: MediaType.ociIndex], body: Array(index.utf8))
            try r.expectError(put, .badRequest, .manifestBlobUnknown)
        }
    }

    @Test func missingBlobIsRefusedAndNothingStored() async throws {
        try await RegistryHarness.run { r in
            let config = try await r.pushBlob("repo", Array("{}".utf8))
            let absent = DigestHasher.digest(of: Fixtures.bytes(99))
            let json = Fixtures.imageManifest(config: (config, 2), layers: [(absent, 99)])
            let put = try await r.request(
                .put, "/v2/repo/manifests/v1", headers: [.contentType: MediaType.ociManifest], body: Array(json.utf8))
            try r.expectError(put, .badRequest, .manifestBlobUnknown)
            try r.expectError(try await r.request(.get, "/v2/repo/manifests/v1"), .notFound, .manifestUnknown)
            let tags = try await r.request(.get, "/v2/repo/tags/list")
            #expect(String(buffer: tags.body).contains("\"tags\":[]"))
        }
    }

    @Test func nonDistributableLayersNeedNotBePresent() async throws {
        try await RegistryHarness.run { r in
            let config = try await r.pushBlob("repo", Array("{}".utf8))
            let foreign = DigestHasher.digest(of: Fixtures.bytes(50))
            let json = Fixtures.imageManifest(
                config: (config, 2), layers: [(foreign, 50)],
                layerType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")
            try await r.pushManifest("repo", "foreign", json)
        }
    }

    @Test func subjectIsAcceptedEvenWhenMissing() async throws {
        try await RegistryHarness.run { r in
            let absentSubject = DigestHasher.digest(of: Fixtures.bytes(5))
            let empty = try await r.pushBlob("repo", Array("{}".utf8))
            let json = """
                {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","artifactType":"application/vnd.example.sig",
                "config":{"mediaType":"\(MediaType.ociEmpty)","digest":"\(empty)","size":2},"layers":[],
                "subject":{"mediaType":"\(MediaType.ociManifest)","digest":"\(absentSubject)","size":5}}
                """
            let put = try await r.request(
                .put, "/v2/repo/manifests/sig", headers: [.contentType: MediaType.ociManifest], body: Array(json.utf8))
            #expect(put.status == .created)
            #expect(put.headers[.ociSubject] == absentSubject.string)
        }
    }

    @Test func sizeLimit() async throws {
        var options = RegistryStore.Options()
        options.maxManifestBytes = 4 * 1024 * 1024
        try await RegistryHarness.run(options: options) { r in
            let config = try await r.pushBlob("repo", Array("{}".utf8))
            let base = Fixtures.imageManifest(config: (config, 2), layers: [])
            // Pad with an annotation to just under and just over 4 MiB.
            func padded(to size: Int) -> String {
                let prefix = String(base.dropLast()) + ",\"annotations\":{\"pad\":\""
                let suffix = "\"}}"
                return prefix + String(repeating: "x", count: size - prefix.utf8.count - suffix.utf8.count) + suffix
            }
            let fits = padded(to: 4 * 1024 * 1024)
            try await r.pushManifest("repo", "big", fits)
            let over = padded(to: 4 * 1024 * 1024 + 1)
            let put = try await r.request(
                .put, "/v2/repo/manifests/huge", headers: [.contentType: MediaType.ociManifest], body: Array(over.utf8))
            try r.expectError(put, .contentTooLarge, .sizeInvalid)
        }
    }

    @Test func deleteByDigestAndByTag() async throws {
        try await RegistryHarness.run { r in
            let (_, digest) = try await r.pushImage("repo", tag: "one")
            try await r.request(
                .put, "/v2/repo/manifests/two", headers: [.contentType: MediaType.ociManifest],
                body: Array(String(buffer: try await r.request(.get, "/v2/repo/manifests/one").body).utf8))
            #expect(try await r.request(.delete, "/v2/repo/manifests/two").status == .accepted)
            try r.expectError(try await r.request(.get, "/v2/repo/manifests/two"), .notFound, .manifestUnknown)
            #expect(try await r.request(.get, "/v2/repo/manifests/one").status == .ok)
            #expect(try await r.request(.delete, "/v2/repo/manifests/\(digest)").status == .accepted)
            try r.expectError(try await r.request(.get, "/v2/repo/manifests/one"), .notFound, .manifestUnknown)
            try r.expectError(try await r.request(.get, "/v2/repo/manifests/\(digest)"), .notFound, .manifestUnknown)
            try r.expectError(try await r.request(.delete, "/v2/repo/manifests/\(digest)"), .notFound, .manifestUnknown)
        }
    }

    @Test func tagMovesToNewDigest() async throws {
        try await RegistryHarness.run { r in
            _ = try await r.pushImage("repo", tag: "latest", layer: "first")
            let (_, second) = try await r.pushImage("repo", tag: "latest", layer: "second")
            #expect(
                try await r.request(.head, "/v2/repo/manifests/latest").headers[.dockerContentDigest] == second.string)
        }
    }

    @Test func concurrentPushesOfOneTagLeaveOneWinner() async throws {
        try await RegistryHarness.run { r in
            let digests = try await withThrowingTaskGroup(of: Digest.self) { group in
                for i in 0..<6 {
                    group.addTask { try await r.pushImage("repo", tag: "race", layer: "layer-\(i)").digest }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let head = try await r.request(.head, "/v2/repo/manifests/race")
            let winner = try Digest(try #require(head.headers[.dockerContentDigest]))
            #expect(digests.contains(winner))
            #expect(try await r.request(.get, "/v2/repo/manifests/race").status == .ok)
        }
    }
}
