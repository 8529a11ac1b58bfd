import Foundation
import Logging
import OCI
import RegistryClient
import SatelliteProtocol
import Synchronization

/// Content from upstream registries over HTTP: one `RegistryClient` per upstream, kept while its
/// settings stay the same so connections and tokens are reused from sync to sync.
public final class UpstreamSources: ContentSources {
    public struct Options: Sendable {
        public var retry = RetryPolicy()
        /// Longest wait for an upstream to start answering a request.
        public var responseTimeout: Duration = .seconds(20)
        /// A download that receives no byte for this long resumes on a new connection.
        public var stallTimeout: Duration = .seconds(15)

        public init() {}
    }

    let options: Options
    let logger: Logger
    private let clients = Mutex<[String: (upstream: DesiredState.Upstream, client: RegistryClient)]>([:])

    public init(options: Options = Options(), logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public func source(for upstream: DesiredState.Upstream) throws -> any ContentSource {
        if let cached = clients.withLock({ $0[upstream.name] }), cached.upstream == upstream {
            return cached.client
        }
        var password = upstream.password
        if let file = upstream.passwordFile {
            do {
                password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)
            } catch {
                throw ReplicationError(
                    .configuration,
                    "upstream \(upstream.name): cannot read passwordFile \(file): \(error.localizedDescription)")
            }
        }
        var configuration = RegistryClient.Configuration(
            baseURL: upstream.url, username: upstream.username, password: password,
            insecure: upstream.insecure ?? false, caFile: upstream.caFile, retry: options.retry,
            responseTimeout: options.responseTimeout, readTimeout: max(.seconds(60), options.stallTimeout * 2),
            stallTimeout: options.stallTimeout)
        configuration.userAgent = "harbor-satellite/\(ReleaseVersion.current)"
        let client = try RegistryClient(configuration, logger: logger)
        let replaced = clients.withLock { clients in
            defer { clients[upstream.name] = (upstream, client) }
            return clients[upstream.name]?.client
        }
        if let replaced { Task { await replaced.shutdown() } }
        return client
    }

    public func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients.removeAll() }
            return clients.values.map(\.client)
        }
        for client in all { await client.shutdown() }
    }
}

extension RegistryClient: ContentSource {
    public func manifest(_ repository: RepositoryName, digest: Digest) async throws -> RemoteManifest {
        try await manifest(repository, reference: .digest(digest))
    }

    public func download(
        _ repository: RepositoryName, digest: Digest, size: Int64, into sink: any BlobSink
    ) async throws {
        try await download(repository, digest: digest, size: Optional(size), into: sink)
    }

    public func downloadUnsized(_ repository: RepositoryName, digest: Digest, into sink: any BlobSink) async throws {
        try await download(repository, digest: digest, size: nil as Int64?, into: sink)
    }
}
