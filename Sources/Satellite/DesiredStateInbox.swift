import SatelliteProtocol
import Synchronization

/// A desired state whose origin has been checked: parsed and validated, and for a signed source
/// verified against its key. Only the sources in this module make one.
public struct VerifiedState: Sendable, Equatable {
    public let state: DesiredState
    /// Where it came from, for status and logs: a file path or Ground Control's URL.
    public let origin: String

    package init(_ state: DesiredState, origin: String) {
        self.state = state
        self.origin = origin
    }
}

/// Where desired-state sources (a state file, Ground Control) hand their news to the replication
/// service, in memory. Only the latest news counts: a state that is superseded before the service
/// looks is never applied.
public final class DesiredStateInbox: Sendable {
    /// What a source can say.
    public enum News: Sendable, Equatable {
        /// A state to apply.
        case state(VerifiedState)
        /// The source has a state that cannot be used; the last good one stays applied.
        case refused(String)
        /// The source cut this satellite off (Ground Control revoked it): sync nothing more,
        /// prune nothing, keep serving what the store holds.
        case revoked(String)
    }

    private let latest = Mutex<(version: Int, news: News?)>((0, nil))
    let changed = ChangeSignal()

    public init() {}

    /// Hands over news, replacing any the service has not taken yet.
    package func post(_ news: News) {
        latest.withLock { $0 = ($0.version + 1, news) }
        changed.notify()
    }

    /// The latest news if newer than `seen`, with its number.
    package func news(after seen: Int) -> (version: Int, news: News)? {
        latest.withLock { latest in
            guard latest.version > seen, let news = latest.news else { return nil }
            return (latest.version, news)
        }
    }
}
