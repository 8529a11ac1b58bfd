import FleetDomain
import Synchronization

extension TagResolver {
    /// Resolves the tags a push event may have moved. While a resolution runs for a repository,
    /// further events for it ask for one more run after it, not one each: a webhook delivered
    /// 400 times costs at most two passes over the registry, not 400.
    public func resolveOnPush(registry: String, repository: String) async {
        let key = registry + "\u{0}" + repository
        guard pushes.begin(key) else { return }
        repeat {
            _ = await resolve(registry: registry, repository: repository)
        } while pushes.runAgain(key)
    }
}

/// Keys with a run under way, and whether another was asked for meanwhile.
final class CoalescedRuns: Sendable {
    private let state = Mutex<(running: Set<String>, again: Set<String>)>(([], []))

    /// True when the caller is to run now; false when a run under way will run once more for it.
    func begin(_ key: String) -> Bool {
        state.withLock { state in
            guard state.running.insert(key).inserted else {
                state.again.insert(key)
                return false
            }
            return true
        }
    }

    /// Whether to run again (something asked during the run); ends the key's run when not.
    func runAgain(_ key: String) -> Bool {
        state.withLock { state in
            if state.again.remove(key) != nil { return true }
            state.running.remove(key)
            return false
        }
    }
}
