import Foundation
import Logging
import Replication
import SatelliteProtocol
import ServiceLifecycle
import StateContent

/// The agent loop: takes verified states from the inbox, reconciles the store against the latest,
/// and reports each sync to the status snapshot.
///
/// Syncs when the state changes and every `syncInterval` (tags move upstream). A sync that leaves
/// anything unsynced is retried with backoff and jitter, forever, but never later than the next
/// regular sync would be: once an upstream is back, the satellite is in line within one interval.
/// A refused state leaves the last good one applied; a revocation stops syncing, and the store
/// keeps what it holds.
public struct ReplicationService: Service {
    public struct Options: Sendable {
        public var syncInterval: Duration = .seconds(300)
        public var maximumBackoff: Duration = .seconds(300)

        public init() {}
    }

    let options: Options
    let inbox: DesiredStateInbox
    let replicator: Replicator
    let snapshot: StatusSnapshot
    let observers: [any SyncObserver]
    /// The sync windows: a sync they held back runs again when one opens.
    let windows: LinkWindows?
    let logger: Logger

    init(
        options: Options, inbox: DesiredStateInbox, replicator: Replicator, snapshot: StatusSnapshot,
        windows: LinkWindows? = nil, observers: [any SyncObserver] = [], logger: Logger
    ) {
        self.windows = windows
        self.options = options
        self.inbox = inbox
        self.replicator = replicator
        self.snapshot = snapshot
        self.observers = observers
        self.logger = logger
    }

    public func run() async throws {
        var seen = 0
        var state: DesiredState?
        var nextSync: ContinuousClock.Instant?
        var failures = 0
        defer { Task { [replicator] in await replicator.shutdown() } }
        for observer in observers {
            await observer.starting()
        }

        // Cancelled too when another service fails (the server cannot bind its port, say): the
        // wait below then returns at once, and looping on would spin and keep the process up.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let (version, news) = inbox.news(after: seen) {
                seen = version
                switch news {
                case .state(let verified):
                    await snapshot.accepted(verified)
                    if verified.state != state {
                        logger.info(
                            "desired state taken",
                            metadata: [
                                "from": "\(verified.origin)", "generation": "\(verified.state.generation)",
                                "artifacts": "\(verified.state.artifacts.count)",
                            ])
                        state = verified.state
                        nextSync = .now
                        failures = 0
                        for observer in observers {
                            await observer.accepted(verified.state)
                        }
                    }
                case .refused(let reason):
                    await snapshot.refused(reason)
                case .revoked(let reason):
                    state = nil
                    nextSync = nil
                    await snapshot.revoked(reason)
                }
            }
            if let state, let due = nextSync, ContinuousClock.now >= due {
                // A stop does not wait for a sync (one waiting on a slow peer or upstream could
                // outlast any grace period): what it brought in is committed whole or not at all,
                // and the next start syncs again. A sync cut short is not reported.
                let report = await cancelWhenGracefulShutdown { [replicator] in await replicator.sync(state) }
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                for observer in observers {
                    await observer.synced(state)
                }
                await snapshot.record(report)
                // Ground Control's setting for this satellite, when the state carries one.
                let interval = state.settings.map { Duration.seconds($0.syncIntervalSeconds) } ?? options.syncInterval
                if report.succeeded {
                    failures = 0
                    nextSync = .now + interval
                } else if report.artifacts.allSatisfy({
                    $0.outcome == .synced || $0.reason == .outsideSyncWindow || $0.reason == .budgetExhausted
                }) {
                    // Held back by the link alone: retrying sooner would find it as closed.
                    failures = 0
                    let wait = min(interval, windows?.untilNextOpening() ?? interval)
                    nextSync = .now + wait
                    logger.info(
                        "sync waits for a sync window or a new budget period", metadata: ["next sync in": "\(wait)"])
                } else {
                    failures += 1
                    let backoff = RetryDelay.after(failures: failures, maximum: min(options.maximumBackoff, interval))
                    logger.warning(
                        "sync incomplete; retrying", metadata: ["in": "\(backoff)", "failures": "\(failures)"])
                    nextSync = .now + backoff
                }
                continue
            }
            // Until news arrives or the next sync is due.
            let wait = nextSync.map { max($0 - .now, .zero) } ?? .seconds(3600)
            let seenNow = seen
            await cancelWhenGracefulShutdown { await inbox.changed.wait(beyond: seenNow, timeout: wait) }
        }
    }
}

/// A part of the agent that follows what each sync leaves in the store.
public protocol SyncObserver: Sendable {
    /// Called once when the agent starts, before any state is taken.
    func starting() async
    /// Called when a state differing from the last one is taken, before it is synced.
    func accepted(_ state: DesiredState) async
    /// Called after every sync of `state`, whether or not it brought everything in line.
    func synced(_ state: DesiredState) async
}

extension SyncObserver {
    public func starting() async {}
    public func accepted(_ state: DesiredState) async {}
}

/// Backoff between failed attempts: doubling from one second, with jitter, up to a maximum.
enum RetryDelay {
    static func after(failures: Int, maximum: Duration) -> Duration {
        let ceiling = min(Duration.seconds(1) * (1 << min(failures - 1, 16)), maximum)
        return ceiling * Double.random(in: 0.5...1.0)
    }
}
