import NIOCore
import OCI
import RegistryClient
import SatelliteProtocol

/// What a request to an upstream is for: the windows and budgets of a satellite's link treat
/// a sync and a device's pull-through miss apart.
public enum UpstreamUse: Sendable {
    case sync
    case pullThrough
}

/// Decides, before any request leaves for an upstream, whether the satellite may use its link
/// now (sync windows, byte budgets), and hears every byte that came over it. Peers at the site
/// are not upstreams and are never asked.
public protocol UpstreamGate: Sendable {
    /// Throws `UpstreamClosed` when `repository` of `upstream` may not be fetched now for `use`;
    /// `bytes` is what the request will bring when that is known beforehand.
    func admit(_ use: UpstreamUse, upstream: String, repository: RepositoryName, bytes: Int64?) throws(UpstreamClosed)
    /// Bytes of a body that came from the upstream.
    func received(_ bytes: Int64, upstream: String, repository: RepositoryName)
}

extension UpstreamGate {
    func admit(_ use: UpstreamUse, upstream: String, repository: RepositoryName) throws(UpstreamClosed) {
        try admit(use, upstream: upstream, repository: repository, bytes: nil)
    }
}

/// The link may not be used now: nothing was sent upstream.
public struct UpstreamClosed: Error, Sendable, Equatable, CustomStringConvertible, ReplicationFailure {
    public let reason: FailureReason
    public let message: String

    public init(_ reason: FailureReason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
    public var replicationError: ReplicationError { ReplicationError(reason, message) }
}

/// Upstream sources behind a gate: every request is admitted first, for one use.
public struct GatedSources: ContentSources {
    let sources: any ContentSources
    let gate: any UpstreamGate
    let use: UpstreamUse

    public init(_ sources: any ContentSources, gate: any UpstreamGate, use: UpstreamUse) {
        self.sources = sources
        self.gate = gate
        self.use = use
    }

    public func source(for upstream: DesiredState.Upstream) throws -> any ContentSource {
        GatedSource(source: try sources.source(for: upstream), upstream: upstream.name, gate: gate, use: use)
    }

    public func shutdown() async { await sources.shutdown() }
}

private struct GatedSource: ContentSource {
    let source: any ContentSource
    let upstream: String
    let gate: any UpstreamGate
    let use: UpstreamUse

    func resolve(_ repository: RepositoryName, tag: Tag) async throws -> Digest {
        try gate.admit(use, upstream: upstream, repository: repository)
        return try await source.resolve(repository, tag: tag)
    }

    func manifest(_ repository: RepositoryName, digest: Digest) async throws -> RemoteManifest {
        try gate.admit(use, upstream: upstream, repository: repository)
        let manifest = try await source.manifest(repository, digest: digest)
        gate.received(Int64(manifest.bytes.count), upstream: upstream, repository: repository)
        return manifest
    }

    func referrers(_ repository: RepositoryName, of digest: Digest) async throws -> [Descriptor] {
        try gate.admit(use, upstream: upstream, repository: repository)
        return try await source.referrers(repository, of: digest)
    }

    func download(_ repository: RepositoryName, digest: Digest, size: Int64, into sink: any BlobSink) async throws {
        try gate.admit(use, upstream: upstream, repository: repository, bytes: max(size - sink.offset, 0))
        try await source.download(repository, digest: digest, size: size, into: metered(sink, repository))
    }

    func downloadUnsized(_ repository: RepositoryName, digest: Digest, into sink: any BlobSink) async throws {
        try gate.admit(use, upstream: upstream, repository: repository)
        try await source.downloadUnsized(repository, digest: digest, into: metered(sink, repository))
    }

    private func metered(_ sink: any BlobSink, _ repository: RepositoryName) -> any BlobSink {
        MeteredSink(inner: sink, source: self, repository: repository)
    }

    /// Counts what arrives, and asks the gate again once an unsized blob's length is announced:
    /// a blob that would overrun a budget stops before its first byte.
    private final class MeteredSink: BlobSink {
        let inner: any BlobSink
        let source: GatedSource
        let repository: RepositoryName

        init(inner: any BlobSink, source: GatedSource, repository: RepositoryName) {
            self.inner = inner
            self.source = source
            self.repository = repository
        }

        var offset: Int64 { inner.offset }

        func receive(_ buffer: ByteBuffer) async throws {
            try await inner.receive(buffer)
            source.gate.received(Int64(buffer.readableBytes), upstream: source.upstream, repository: repository)
        }

        func restart() async throws { try await inner.restart() }

        func expect(size: Int64) async throws {
            do {
                try source.gate.admit(
                    source.use, upstream: source.upstream, repository: repository, bytes: max(size - offset, 0))
            } catch {
                // A sink's own refusal: the download stops and is not retried.
                throw SinkError(error)
            }
            try await inner.expect(size: size)
        }
    }
}
