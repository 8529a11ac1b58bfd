import AsyncHTTPClient
import NIOHTTP1
import OCI

/// What a `HEAD` on a blob found.
public struct BlobHead: Sendable, Equatable {
    /// The blob's length when the registry holds it; nil when it answered 404.
    public let size: Int64?
    /// The reply's headers a caller asked to see, by lower-cased name.
    public let headers: [String: String]
}

extension RegistryClient {
    /// Whether the registry answers its base endpoint and accepts our credentials, within
    /// `timeout` (one attempt per the retry policy).
    public func ping(timeout: Duration) async throws(ClientError) {
        let response = try await send(.GET, "/v2/", repository: nil, timeout: timeout)
        try Self.check(response, "base endpoint")
    }

    /// One `HEAD` on a blob, waiting at most `timeout`: its size, or nil for a 404, with the
    /// reply's `headers` of interest.
    public func headBlob(
        _ repository: RepositoryName, digest: Digest, timeout: Duration, headers wanted: [String] = []
    ) async throws(ClientError) -> BlobHead {
        let response = try await send(
            .HEAD, "/v2/\(repository)/blobs/\(digest)", repository: repository, timeout: timeout)
        var seen: [String: String] = [:]
        for name in wanted {
            if let value = response.headers.first(name: name) { seen[name.lowercased()] = value }
        }
        if response.status == .notFound { return BlobHead(size: nil, headers: seen) }
        try Self.check(response, "blob \(digest) in \(repository)")
        guard let size = response.headers.first(name: "Content-Length").flatMap({ Int64($0) }), size >= 0 else {
            throw ClientError(.invalidResponse, "HEAD of blob \(digest) gave no length")
        }
        return BlobHead(size: size, headers: seen)
    }
}
