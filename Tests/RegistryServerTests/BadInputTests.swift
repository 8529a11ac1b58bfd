import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OCI
import RegistryServer
import RegistryStore
import Testing

/// Every malformed request gets a 4xx with the spec's error body, and stores nothing.
@Suite struct BadInputTests {
    static let digest = "sha256:" + String(repeating: "a", count: 64)

    @Test(arguments: [
        (HTTPRequest.Method.get, "/v2/UPPER/manifests/latest", 400, ErrorCode.nameInvalid),
        (.get, "/v2/a//b/manifests/latest", 400, .nameInvalid),
        // A pull of a reference that is neither a tag nor a digest names no manifest (the
        // distribution spec's conformance suite expects 404); a push to one is refused.
        (.get, "/v2/a/manifests/bad:digest", 404, .manifestUnknown),
        (.get, "/v2/a/manifests/-tag", 404, .manifestUnknown),
        (.put, "/v2/a/manifests/bad:digest", 400, .digestInvalid),
        (.put, "/v2/a/manifests/-tag", 400, .manifestInvalid),
        (.get, "/v2/a/blobs/sha256:123", 400, .digestInvalid),
        (.get, "/v2/a/blobs/md5:d41d8cd98f00b204e9800998ecf8427e", 400, .digestInvalid),
        (.get, "/v2/a/blobs/\(digest)", 404, .blobUnknown),
        (.head, "/v2/a/manifests/\(digest)", 404, .manifestUnknown),
        (.post, "/v2/a/blobs/uploads/?digest=nope", 400, .digestInvalid),
        (.post, "/v2/a/blobs/uploads/?mount=nope", 400, .digestInvalid),
        (.post, "/v2/a/blobs/uploads/?mount=\(digest)&from=BAD", 400, .nameInvalid),
        (.put, "/v2/a/blobs/uploads/00000000-0000-0000-0000-000000000000?digest=\(digest)", 404, .blobUploadUnknown),
        (.patch, "/v2/a/blobs/uploads/../../etc", 404, .unsupported),
        (.get, "/v2/a/referrers/nope", 400, .digestInvalid),
        (.delete, "/v2/a/manifests/latest", 404, .manifestUnknown),
        (.get, "/v2/a/nothing", 404, .unsupported),
        (.post, "/v2/a/manifests/latest", 405, .unsupported),
    ])
    func rejects(method: HTTPRequest.Method, uri: String, status: Int, code: ErrorCode) async throws {
        try await RegistryHarness.run { r in
            let response = try await r.request(method, uri)
            #expect(response.status.code == status)
            // A HEAD answer has no body on the wire, error or not.
            guard method != .head else { return #expect(response.body.readableBytes == 0) }
            let body = try JSONDecoder().decode(ErrorResponse.self, from: Data(buffer: response.body))
            #expect(body.errors.first?.code == code.rawValue)
        }
    }

    @Test(arguments: [
        "not json",
        "{}",
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}",
        "{\"schemaVersion\":1,\"name\":\"a\",\"tag\":\"b\",\"fsLayers\":[]}",
        "[1,2,3]",
    ])
    func invalidManifests(json: String) async throws {
        try await RegistryHarness.run { r in
            let response = try await r.request(
                .put, "/v2/repo/manifests/v1", headers: [.contentType: MediaType.ociManifest], body: Array(json.utf8))
            try r.expectError(response, .badRequest, .manifestInvalid)
            try r.expectError(try await r.request(.get, "/v2/repo/manifests/v1"), .notFound, .manifestUnknown)
        }
    }

    @Test func manifestDigestMustMatchReference() async throws {
        try await RegistryHarness.run { r in
            let (json, _) = try await r.pushImage("repo", tag: "v1")
            let response = try await r.request(
                .put, "/v2/repo/manifests/\(Self.digest)", headers: [.contentType: MediaType.ociManifest],
                body: Array(json.utf8))
            try r.expectError(response, .badRequest, .digestInvalid)
            try r.expectError(
                try await r.request(.get, "/v2/repo/manifests/\(Self.digest)"), .notFound, .manifestUnknown)
        }
    }

    @Test func contentTypeMustMatchMediaType() async throws {
        try await RegistryHarness.run { r in
            let (json, _) = try await r.pushImage("repo", tag: "v1")
            let response = try await r.request(
                .put, "/v2/repo/manifests/v2", headers: [.contentType: MediaType.ociIndex], body: Array(json.utf8))
            try r.expectError(response, .badRequest, .manifestInvalid)
        }
    }

    @Test func contentRangeMustMatchLength() async throws {
        try await RegistryHarness.run { r in
            let start = try await r.request(.post, "/v2/repo/blobs/uploads/")
            let location = try #require(start.headers[.location])
            let bad = try await r.request(
                .patch, location, headers: [.contentRange: "0-99", .contentLength: "10"], body: Fixtures.bytes(10))
            try r.expectError(bad, .badRequest, .blobUploadInvalid)
            let garbage = try await r.request(
                .patch, location, headers: [.contentRange: "x-y"], body: Fixtures.bytes(10))
            try r.expectError(garbage, .badRequest, .blobUploadInvalid)
            #expect(try await r.request(.get, location).headers[.range] == "0-0")
        }
    }
}

@Suite struct RouteParsingTests {
    @Test(arguments: [
        ("/v2/", RegistryRoute.base),
        ("/v2", .base),
        ("/v2/_catalog", .catalog),
        ("/v2/a/b/tags/list", .tags(try! RepositoryName("a/b"))),
        ("/v2/a/manifests/latest", .manifest(try! RepositoryName("a"), reference: "latest")),
        ("/v2/x/blobs/y/manifests/z", .manifest(try! RepositoryName("x/blobs/y"), reference: "z")),
        ("/v2/a/blobs/sha256:1", .blob(try! RepositoryName("a"), digest: "sha256:1")),
        ("/v2/a/blobs/sha256%3A1", .blob(try! RepositoryName("a"), digest: "sha256:1")),
        ("/v2/a/blobs/uploads/", .uploads(try! RepositoryName("a"))),
        ("/v2/a/blobs/uploads", .uploads(try! RepositoryName("a"))),
        ("/v2/a/blobs/uploads/id-1", .upload(try! RepositoryName("a"), id: "id-1")),
        ("/v2/a/referrers/sha256:1", .referrers(try! RepositoryName("a"), digest: "sha256:1")),
    ])
    func parses(path: String, route: RegistryRoute) throws {
        #expect(try RegistryRoute(path: path) == route)
    }

    @Test(arguments: ["/v1/", "/v2/a", "/v2/manifests/x", "/v2/a/manifests/x/", "/other"])
    func ignores(path: String) throws {
        #expect(try RegistryRoute(path: path) == nil)
    }
}
