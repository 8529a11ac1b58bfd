import OCI

/// Content the store lacks, fetched when a client asks for it: the satellite's pull-through.
/// The registry server defines the seam; it never knows where the content comes from.
public protocol ContentOnDemand: Sendable {
    /// Before a tag is read: a pulled-through tag older than its time to live is checked against
    /// its upstream here (and moved if it moved). Cheap when there is nothing to do; never fails:
    /// what is held stays served.
    func refresh(_ repository: RepositoryName, tag: Tag) async
    /// A manifest the store lacks: fetched and stored when the rules allow it. Returns whether it
    /// is held now (false: the miss stays a miss). Throws `OnDemandRefusal` for a repository
    /// outside the rules.
    func fetchManifest(_ repository: RepositoryName, reference: Reference) async throws -> Bool
    /// A blob the store lacks, likewise.
    func fetchBlob(_ repository: RepositoryName, digest: Digest) async throws -> Bool
}

/// A repository outside the pull-through rules: nothing was fetched (403 `DENIED`).
public struct OnDemandRefusal: Error, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }
}

/// No pull-through: what the store lacks is a miss.
public struct NoContentOnDemand: ContentOnDemand {
    public init() {}
    public func refresh(_ repository: RepositoryName, tag: Tag) async {}
    public func fetchManifest(_ repository: RepositoryName, reference: Reference) async throws -> Bool { false }
    public func fetchBlob(_ repository: RepositoryName, digest: Digest) async throws -> Bool { false }
}
