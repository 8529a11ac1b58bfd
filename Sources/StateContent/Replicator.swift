import Foundation
import Logging
import OCI
import RegistryClient
import SatelliteProtocol

/// Makes a store hold what a desired state names, fetched from its content sources.
///
/// One `sync` resolves and plans every artifact several at a time (each manifest fetched once
/// however many artifacts share it: an index and its platform manifests, or only the selected
/// platforms, plus the referrers of each), downloads the missing blobs several at a time, commits
/// children before parents and a tag only after all it points to is present, then drops tags and
/// manifests the state no longer names. An artifact that cannot be brought in line fails alone,
/// with a typed reason, and keeps whatever the store already holds for it.
public final class Replicator: Sendable {
    public struct Options: Sendable {
        /// Blobs downloaded at once, across all artifacts.
        public var maxConcurrentBlobs: Int = 4
        /// Artifacts resolved and planned at once (small manifest requests).
        public var maxConcurrentPlans: Int = 16
        /// Cap on download bytes per second for the whole satellite; nil for none.
        public var bandwidthLimit: Int64?

        public init() {}
    }

    package let store: any ReplicaStore
    package let sources: any ContentSources
    package let options: Options
    package let limiter: BandwidthLimiter?
    package let logger: Logger

    public init(store: any ReplicaStore, sources: any ContentSources, options: Options = Options(), logger: Logger) {
        self.store = store
        self.sources = sources
        self.options = options
        self.limiter = options.bandwidthLimit.map { BandwidthLimiter(bytesPerSecond: $0) }
        self.logger = logger
    }

    /// Replicates from upstream registries over HTTP.
    public convenience init(
        store: any ReplicaStore, upstreams: UpstreamSources.Options = UpstreamSources.Options(),
        options: Options = Options(), logger: Logger
    ) {
        self.init(
            store: store, sources: UpstreamSources(options: upstreams, logger: logger), options: options, logger: logger
        )
    }

    /// Closes what the content sources hold open.
    public func shutdown() async {
        await sources.shutdown()
    }
}
