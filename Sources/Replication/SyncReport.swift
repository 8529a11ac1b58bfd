import Foundation
import SatelliteProtocol
import StateContent

/// What one reconciliation did, written to `status.json` and reported upstream.
public struct SyncReport: Codable, Sendable, Equatable {
    /// How an artifact ended up.
    public enum Outcome: String, Codable, Sendable {
        /// Held locally at the digest the state asks for.
        case synced
        /// The upstream could not be asked; the local copy (if any) is kept and served.
        case kept
        /// Not held: fetching failed and there is no local copy.
        case missing
    }

    public struct ArtifactStatus: Codable, Sendable, Equatable {
        /// The upstream the state names: two upstreams may hold the same reference.
        public var upstream: String?
        public var reference: String
        public var digest: String?
        public var outcome: Outcome
        public var error: String?
        /// Why it is not synced, when it is not.
        public var reason: FailureReason?

        public init(
            upstream: String? = nil, reference: String, digest: String?, outcome: Outcome, error: String?,
            reason: FailureReason?
        ) {
            self.upstream = upstream
            self.reference = reference
            self.digest = digest
            self.outcome = outcome
            self.error = error
            self.reason = reason
        }
    }

    public var generation: Int64
    public var startedAt: Date
    public var finishedAt: Date
    public var artifacts: [ArtifactStatus]
    public var manifestsFetched: Int
    public var blobsFetched: Int
    public var bytesFetched: Int64
    public var tagsRemoved: Int
    public var manifestsRemoved: Int
    /// Wall time of the sync (stored: the dates above are written to whole seconds).
    public var durationSeconds: Double

    /// The artifacts not held at their desired digest, with why, as the heartbeat carries them.
    public var failures: [ArtifactFailure] {
        artifacts.compactMap { status in
            guard status.outcome != .synced else { return nil }
            return ArtifactFailure(
                reference: status.reference, reason: status.reason ?? .storeError, message: status.error ?? "",
                serving: status.digest,
                upstream: status.upstream)
        }
    }

    /// True when every artifact is held at its desired digest.
    public var succeeded: Bool { artifacts.allSatisfy { $0.outcome == .synced } }
}
