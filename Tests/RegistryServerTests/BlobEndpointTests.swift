import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OCI
import RegistryServer
import RegistryStore
import Testing

@Suite struct BlobEndpointTests {
    @Test func baseEndpointAnswersWithAPIVersion() async throws {
        try await RegistryHarness.run { r in
            let response = try await r.request(.get, "/v2/")
            #expect(response.status == .ok)
            #expect(response.headers[.dockerDistributionAPIVersion] == "registry/2.0")
        }
    }

    @Test func monolithicPushThenPull() async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(100_000)
            let digest = try await r.pushBlob("a/b", bytes)
            let head = try await r.request(.head, "/v2/a/b/blobs/\(digest)")
            #expect(head.status == .ok)
            #expect(head.headers[.contentLength] == "100000")
            #expect(head.headers[.dockerContentDigest] == digest.string)
            let get = try await r.request(.get, "/v2/a/b/blobs/\(digest)")
            #expect(get.status == .ok)
            #expect(Array(buffer: get.body) == bytes)
            #expect(get.headers[.contentLength] == "100000")
            #expect(get.headers[.dockerContentDigest] == digest.string)
        }
    }

    @Test func singleRequestPushWithDigest() async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(1000)
            let digest = DigestHasher.digest(of: bytes)
            let post = try await r.request(.post, "/v2/repo/blobs/uploads/?digest=\(digest)", body: bytes)
            #expect(post.status == .created)
            #expect(post.headers[.location] == "/v2/repo/blobs/\(digest)")
            #expect(try await r.request(.get, "/v2/repo/blobs/\(digest)").body == ByteBuffer(bytes: bytes))
        }
    }

    @Test func sha512Blobs() async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(5000)
            let digest = DigestHasher.digest(of: bytes, algorithm: .sha512)
            let post = try await r.request(.post, "/v2/repo/blobs/uploads/?digest=\(digest)", body: bytes)
            #expect(post.status == .created)
            let start = try await r.request(.post, "/v2/repo/blobs/uploads/")
            let location = try #require(start.headers[.location])
            let other = Fixtures.bytes(3000, seed: 9)
            let otherDigest = DigestHasher.digest(of: other, algorithm: .sha512)
            #expect(try await r.request(.patch, location, body: other).status == .accepted)
            #expect(try await r.request(.put, "\(location)?digest=\(otherDigest)").status == .created)
            #expect(Array(buffer: try await r.request(.get, "/v2/repo/blobs/\(otherDigest)").body) == other)
        }
    }

    @Test func chunkedUploadInOrderAndOutOfOrder() async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(30_000)
            let digest = DigestHasher.digest(of: bytes)
            let start = try await r.request(.post, "/v2/repo/blobs/uploads/")
            #expect(start.headers[.range] == "0-0")
            let location = try #require(start.headers[.location])
            let first = try await r.request(
                .patch, location, headers: [.contentRange: "0-9999", .contentLength: "10000"],
                body: Array(bytes[0..<10000]))
            #expect(first.status == .accepted)
            #expect(first.headers[.range] == "0-9999")
            // Skipping ahead is refused with the range actually held.
            let skipped = try await r.request(
                .patch, location, headers: [.contentRange: "20000-29999", .contentLength: "10000"],
                body: Array(bytes[20000...]))
            try r.expectError(skipped, .rangeNotSatisfiable, .blobUploadInvalid)
            #expect(skipped.headers[.range] == "0-9999")
            let second = try await r.request(
                .patch, location, headers: [.contentRange: "10000-19999", .contentLength: "10000"],
                body: Array(bytes[10000..<20000]))
            #expect(second.headers[.range] == "0-19999")
            let status = try await r.request(.get, location)
            #expect(status.status == .noContent)
            #expect(status.headers[.range] == "0-19999")
            let put = try await r.request(.put, "\(location)?digest=\(digest)", body: Array(bytes[20000...]))
            #expect(put.status == .created)
            #expect(Array(buffer: try await r.request(.get, "/v2/repo/blobs/\(digest)").body) == bytes)
        }
    }

    /// Distribution spec conformance: a closing PUT whose Content-Range does not start where the
    /// upload ends is 416 with the Range held, and the upload can still be finished.
    @Test func closingPutWithAWrongContentRangeIs416() async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(20_000)
            let digest = DigestHasher.digest(of: bytes)
            let location = try #require(try await r.request(.post, "/v2/repo/blobs/uploads/").headers[.location])
            #expect(
                try await r.request(
                    .patch, location, headers: [.contentRange: "0-9999", .contentLength: "10000"],
                    body: Array(bytes[0..<10000])
                ).status == .accepted)
            let wrong = try await r.request(
                .put, "\(location)?digest=\(digest)", headers: [.contentRange: "12000-19999", .contentLength: "8000"],
                body: Array(bytes[12000...]))
            try r.expectError(wrong, .rangeNotSatisfiable, .blobUploadInvalid)
            #expect(wrong.headers[.range] == "0-9999")
            let right = try await r.request(
                .put, "\(location)?digest=\(digest)", headers: [.contentRange: "10000-19999", .contentLength: "10000"],
                body: Array(bytes[10000...]))
            #expect(right.status == .created)
            #expect(Array(buffer: try await r.request(.get, "/v2/repo/blobs/\(digest)").body) == bytes)
        }
    }

    @Test func streamedPatchWithoutContentRange() async throws {
        try await RegistryHarness.run() { r in
            let bytes = Fixtures.bytes(3 * 1024 * 1024)
            let digest = DigestHasher.digest(of: bytes)
            let start = try await r.request(.post, "/v2/repo/blobs/uploads/")
            let location = try #require(start.headers[.location])
            let patch = try await r.request(.patch, location, headers: [.transferEncoding: "chunked"], body: bytes)
            #expect(patch.status == .accepted)
            #expect(patch.headers[.range] == "0-\(bytes.count - 1)")
            #expect(try await r.request(.put, "\(location)?digest=\(digest)").status == .created)
            #expect(try await r.request(.head, "/v2/repo/blobs/\(digest)").headers[.contentLength] == "\(bytes.count)")
        }
    }

    @Test func digestMismatchStoresNothing() async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(1000)
            let wrong = DigestHasher.digest(of: Fixtures.bytes(10))
            let post = try await r.request(.post, "/v2/repo/blobs/uploads/?digest=\(wrong)", body: bytes)
            try r.expectError(post, .badRequest, .digestInvalid)
            #expect(try await r.request(.head, "/v2/repo/blobs/\(wrong)").status == .notFound)
            let start = try await r.request(.post, "/v2/repo/blobs/uploads/")
            let location = try #require(start.headers[.location])
            let put = try await r.request(.put, "\(location)?digest=\(wrong)", body: bytes)
            try r.expectError(put, .badRequest, .digestInvalid)
            // The failed upload is gone.
            try r.expectError(try await r.request(.get, location), .notFound, .blobUploadUnknown)
        }
    }

    @Test func cancelUpload() async throws {
        try await RegistryHarness.run { r in
            let start = try await r.request(.post, "/v2/repo/blobs/uploads/")
            let location = try #require(start.headers[.location])
            #expect(try await r.request(.delete, location).status == .noContent)
            try r.expectError(try await r.request(.get, location), .notFound, .blobUploadUnknown)
            try r.expectError(
                try await r.request(.get, "/v2/repo/blobs/uploads/not-an-id"), .notFound, .blobUploadUnknown)
            // A session belongs to its repository.
            let other = try await r.request(.post, "/v2/repo/blobs/uploads/")
            let id = try #require(other.headers[.dockerUploadUUID])
            try r.expectError(
                try await r.request(.get, "/v2/elsewhere/blobs/uploads/\(id)"), .notFound, .blobUploadUnknown)
        }
    }

    @Test func crossRepositoryMount() async throws {
        try await RegistryHarness.run { r in
            let digest = try await r.pushBlob("source", Fixtures.bytes(500))
            let mounted = try await r.request(.post, "/v2/target/blobs/uploads/?mount=\(digest)&from=source")
            #expect(mounted.status == .created)
            #expect(mounted.headers[.location] == "/v2/target/blobs/\(digest)")
            #expect(try await r.request(.head, "/v2/target/blobs/\(digest)").status == .ok)
            let withoutFrom = try await r.request(.post, "/v2/third/blobs/uploads/?mount=\(digest)")
            #expect(withoutFrom.status == .created)
            let missing = DigestHasher.digest(of: Fixtures.bytes(7))
            let fallback = try await r.request(.post, "/v2/target/blobs/uploads/?mount=\(missing)&from=source")
            #expect(fallback.status == .accepted)
            #expect(fallback.headers[.location]?.hasPrefix("/v2/target/blobs/uploads/") == true)
            let wrongSource = try await r.request(.post, "/v2/fourth/blobs/uploads/?mount=\(digest)&from=nothing-here")
            #expect(wrongSource.status == .accepted)
        }
    }

    @Test(
        arguments: [
            ("bytes=0-9", 206, "bytes 0-9/100", 0..<10),
            ("bytes=90-", 206, "bytes 90-99/100", 90..<100),
            ("bytes=-5", 206, "bytes 95-99/100", 95..<100),
            ("bytes=95-200", 206, "bytes 95-99/100", 95..<100),
            ("bytes=100-", 416, "bytes */100", 0..<0),
            ("bytes=500-600", 416, "bytes */100", 0..<0),
            ("bytes=a-b", 200, nil, 0..<100),
            ("bytes=0-1,5-6", 200, nil, 0..<100),
        ] as [(String, Int, String?, Range<Int>)])
    func rangeRequests(header: String, status: Int, contentRange: String?, slice: Range<Int>) async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(100)
            let digest = try await r.pushBlob("repo", bytes)
            let response = try await r.request(.get, "/v2/repo/blobs/\(digest)", headers: [.range: header])
            #expect(response.status.code == status)
            #expect(response.headers[.contentRange] == contentRange)
            if status != 416 {
                #expect(Array(buffer: response.body) == Array(bytes[slice]))
                #expect(response.headers[.contentLength] == "\(slice.count)")
            }
        }
    }

    /// Over a real socket: whole and ranged reads of a multi-chunk blob, on one kept-alive connection.
    @Test func liveWholeAndRangedBlobReads() async throws {
        try await RegistryHarness.run() { r in
            let bytes = Fixtures.bytes(3 * 1024 * 1024 + 5)
            let digest = try await r.pushBlob("repo", bytes)
            let whole = try await r.request(.get, "/v2/repo/blobs/\(digest)")
            #expect(whole.status == .ok)
            #expect(whole.headers[.contentLength] == "\(bytes.count)")
            #expect(Array(buffer: whole.body) == bytes)
            let ranged = try await r.request(
                .get, "/v2/repo/blobs/\(digest)", headers: [.range: "bytes=1000000-1000099"])
            #expect(ranged.status == .partialContent)
            #expect(Array(buffer: ranged.body) == Array(bytes[1_000_000..<1_000_100]))
            // Keep-alive requests follow on the same connection.
            for _ in 0..<3 {
                #expect(Array(buffer: try await r.request(.get, "/v2/repo/blobs/\(digest)").body) == bytes)
            }
            let empty = try await r.pushBlob("repo", [])
            let none = try await r.request(.get, "/v2/repo/blobs/\(empty)")
            #expect(none.status == .ok)
            #expect(none.body.readableBytes == 0)
        }
    }

    @Test func deleteBlob() async throws {
        try await RegistryHarness.run { r in
            let digest = try await r.pushBlob("repo", Fixtures.bytes(10))
            #expect(try await r.request(.delete, "/v2/repo/blobs/\(digest)").status == .accepted)
            try r.expectError(try await r.request(.get, "/v2/repo/blobs/\(digest)"), .notFound, .blobUnknown)
            try r.expectError(try await r.request(.delete, "/v2/repo/blobs/\(digest)"), .notFound, .blobUnknown)
        }
    }

    @Test func concurrentPushesOfTheSameBlob() async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(200_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<8 {
                    group.addTask { try await r.pushBlob("repo\(i % 2)", bytes) }
                }
                try await group.waitForAll()
            }
            let digest = DigestHasher.digest(of: bytes)
            #expect(Array(buffer: try await r.request(.get, "/v2/repo0/blobs/\(digest)").body) == bytes)
            #expect(Array(buffer: try await r.request(.get, "/v2/repo1/blobs/\(digest)").body) == bytes)
        }
    }
}
