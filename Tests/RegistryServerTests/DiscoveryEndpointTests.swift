import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OCI
import RegistryServer
import RegistryStore
import Testing

@Suite struct DiscoveryEndpointTests {
    struct TagList: Decodable { let name: String; let tags: [String] }

    @Test func tagListPagination() async throws {
        try await RegistryHarness.run { r in
            let (json, _) = try await r.pushImage("repo", tag: "a")
            for tag in ["c", "b", "e", "d"] {
                try await r.pushManifest("repo", tag, json)
            }
            let all = try JSONDecoder().decode(
                TagList.self, from: Data(buffer: try await r.request(.get, "/v2/repo/tags/list").body))
            #expect(all.tags == ["a", "b", "c", "d", "e"])
            #expect(all.name == "repo")
            let page = try await r.request(.get, "/v2/repo/tags/list?n=2")
            #expect(try JSONDecoder().decode(TagList.self, from: Data(buffer: page.body)).tags == ["a", "b"])
            #expect(page.headers[.link] == "</v2/repo/tags/list?n=2&last=b>; rel=\"next\"")
            let next = try await r.request(.get, "/v2/repo/tags/list?n=2&last=b")
            #expect(try JSONDecoder().decode(TagList.self, from: Data(buffer: next.body)).tags == ["c", "d"])
            let last = try await r.request(.get, "/v2/repo/tags/list?n=2&last=d")
            #expect(try JSONDecoder().decode(TagList.self, from: Data(buffer: last.body)).tags == ["e"])
            #expect(last.headers[.link] == nil)
            let zero = try await r.request(.get, "/v2/repo/tags/list?n=0")
            #expect(try JSONDecoder().decode(TagList.self, from: Data(buffer: zero.body)).tags == [])
            try r.expectError(try await r.request(.get, "/v2/nothing/tags/list"), .notFound, .nameUnknown)
            #expect(try await r.request(.get, "/v2/repo/tags/list?n=-1").status == .badRequest)
        }
    }

    @Test func catalogListsRepositories() async throws {
        try await RegistryHarness.run { r in
            _ = try await r.pushImage("b/one", tag: "x")
            _ = try await r.pushImage("a/two", tag: "x")
            let body = String(buffer: try await r.request(.get, "/v2/_catalog").body)
            #expect(body == "{\"repositories\":[\"a/two\",\"b/one\"]}")
        }
    }

    @Test func referrers() async throws {
        try await RegistryHarness.run { r in
            let (subjectJSON, subject) = try await r.pushImage("repo", tag: "v1")
            let empty = try await r.pushBlob("repo", Array("{}".utf8))
            func artifact(_ type: String, _ note: String) -> String {
                """
                {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","artifactType":"\(type)",
                "config":{"mediaType":"\(MediaType.ociEmpty)","digest":"\(empty)","size":2},"layers":[],
                "subject":{"mediaType":"\(MediaType.ociManifest)","digest":"\(subject)",\
                "size":\(subjectJSON.utf8.count)},
                "annotations":{"note":"\(note)"}}
                """
            }
            let sig = try await r.pushManifest("repo", "sig", artifact("application/vnd.example.sig", "signed"))
            let sbom = try await r.pushManifest("repo", "sbom", artifact("application/vnd.example.sbom", "bom"))

            let all = try await r.request(.get, "/v2/repo/referrers/\(subject)")
            #expect(all.status == .ok)
            #expect(all.headers[.contentType] == MediaType.ociIndex)
            let index = try JSONDecoder().decode(ImageIndex.self, from: Data(buffer: all.body))
            #expect(Set(index.manifests.map(\.digest)) == [sig, sbom])
            #expect(index.manifests.first { $0.digest == sig }?.annotations == ["note": "signed"])
            #expect(index.manifests.first { $0.digest == sig }?.artifactType == "application/vnd.example.sig")

            let filtered = try await r.request(
                .get, "/v2/repo/referrers/\(subject)?artifactType=application/vnd.example.sbom")
            #expect(filtered.headers[.ociFiltersApplied] == "artifactType")
            #expect(
                try JSONDecoder().decode(ImageIndex.self, from: Data(buffer: filtered.body)).manifests.map(\.digest)
                    == [sbom])

            let unknown = DigestHasher.digest(of: Fixtures.bytes(1))
            let none = try await r.request(.get, "/v2/repo/referrers/\(unknown)")
            #expect(none.status == .ok)
            #expect(try JSONDecoder().decode(ImageIndex.self, from: Data(buffer: none.body)).manifests.isEmpty)
            try r.expectError(try await r.request(.get, "/v2/repo/referrers/sha256:bad"), .badRequest, .digestInvalid)
        }
    }

    @Test func opsEndpoints() async throws {
        try await RegistryHarness.run { r in
            _ = try await r.pushImage("repo", tag: "v1")
            #expect(try await r.request(.get, "/healthz").status == .ok)
            #expect(try await r.request(.get, "/readyz").status == .ok)
            let metrics = String(buffer: try await r.request(.get, "/metrics").body)
            #expect(metrics.contains("registry_requests_total{route=\"manifest\",method=\"PUT\",status=\"201\"} 1"))
            #expect(metrics.contains("registry_received_bytes_total"))
            #expect(metrics.contains("registry_store_bytes"))
            #expect(metrics.contains("registry_request_duration_seconds_bucket"))
        }
    }
}
