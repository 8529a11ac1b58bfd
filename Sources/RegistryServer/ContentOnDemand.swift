import OCI
import RegistryStore

/// Content the store lacks, fetched when a client asks for it: the satellite's pull-through.
/// The registry server defines the seam; it never knows where the content comes from.
public protocol ContentOnDemand: Sendable {
    /// Before a tag is read: a pulled-through tag older than its time to live is checked against
    /// its upstream here (and moved if it moved). Cheap when there is nothing to do; never fails:
    /// what is held stays served.
    func refresh(_ repository: RepositoryName, tag: Tag) async
    /// A manifest the store lacks: fetched and stored when the rules allow it. Says whether it is
    /// held now and, when not, whether it was tried. Throws `OnDemandRefusal` for a repository
    /// outside the rules, `OnDemandDeferred` for one that may be fetched later.
    func fetchManifest(_ repository: RepositoryName, reference: Reference) async throws -> OnDemandManifest
    /// A request the store answered at once, for counting and for the cache's recency:
    /// `manifest` for a manifest request, `bytes` what was sent (0 for a HEAD). Called on the
    /// request's path: it must be cheap.
    func servedHeld(_ repository: RepositoryName, manifest: Digest?, bytes: Int64)
    /// A blob the store lacks, likewise: nil for a miss, `.held` when the store has it now,
    /// `.arriving` while it streams in (to be sent as it arrives).
    func fetchBlob(_ repository: RepositoryName, digest: Digest) async throws -> OnDemandBlob?
}

/// What became of a manifest the store lacked.
public enum OnDemandManifest: Sendable, Equatable {
    /// Fetched and stored: read it now.
    case fetched
    /// Nothing may fetch it here (no pull-through for its upstream): a plain miss.
    case notFetchable
    /// Tried, and its upstream did not give it (unknown there, or unreachable).
    case unavailable
}

/// A blob fetched for a client.
public enum OnDemandBlob: Sendable {
    /// In the store: read it there.
    case held
    /// On its way in.
    case arriving(any ArrivingBlob)
}

/// A blob still arriving from elsewhere, readable as it comes: the first client of a missing
/// blob is not made to wait for all of it, and clients that ask meanwhile share the one fetch.
public protocol ArrivingBlob: Sendable {
    /// Its length, as the other side announced it.
    var size: Int64 { get }
    /// Waits until bytes past `offset` may be sent, and returns where they end. Every byte but
    /// the last is released once it is on disk; the last only once the whole blob matched its
    /// digest, so that a client never receives a complete-looking wrong blob. Throws when the
    /// fetch failed: the response must be cut off.
    func released(beyond offset: Int64) async throws -> Int64
    /// Reads the file the blob arrives in; only bytes `released` allowed may be sent.
    func reader() throws -> BlobReader
}

/// A repository outside the pull-through rules: nothing was fetched (403 `DENIED`).
public struct OnDemandRefusal: Error, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }
}

/// A miss that may be fetched, but not now (outside the satellite's sync windows): a 404 whose
/// message says why and when, rather than a plain miss.
public struct OnDemandDeferred: Error, Sendable {
    public let message: String
    /// `MANIFEST_UNKNOWN` or `BLOB_UNKNOWN`, as the request was for.
    public let code: ErrorCode

    public init(_ message: String, code: ErrorCode) {
        self.message = message
        self.code = code
    }
}

/// No pull-through: what the store lacks is a miss.
public struct NoContentOnDemand: ContentOnDemand {
    public init() {}
    public func refresh(_ repository: RepositoryName, tag: Tag) async {}
    public func servedHeld(_ repository: RepositoryName, manifest: Digest?, bytes: Int64) {}
    public func fetchManifest(_ repository: RepositoryName, reference: Reference) async throws -> OnDemandManifest {
        .notFetchable
    }
    public func fetchBlob(_ repository: RepositoryName, digest: Digest) async throws -> OnDemandBlob? { nil }
}
