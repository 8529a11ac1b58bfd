import OCI
import Synchronization

/// In-memory state of open upload sessions: who owns them, how far they are, and the running hash.
///
/// The rows in `uploads` make a session survive a restart, with the running hash as it was after
/// the last acknowledged chunk.
final class UploadSessions: Sendable {
    struct State: Sendable {
        var repository: RepositoryName
        var offset: Int64
        /// The SHA-256 of the bytes so far; nil after a restart when none was saved (rebuilt from the file).
        var hasher: DigestHasher?
    }

    private let states = Mutex<[UploadID: State]>([:])
    private let busy = Mutex<Set<UploadID>>([])

    /// Registers a new session.
    func open(_ id: UploadID, repository: RepositoryName) {
        states.withLock { $0[id] = State(repository: repository, offset: 0, hasher: DigestHasher(.sha256)) }
    }

    /// Takes exclusive use of a session; `load` supplies it when it is not in memory (after a restart).
    func acquire(
        _ id: UploadID, repository: RepositoryName, load: () throws(StoreError) -> State?
    ) throws(StoreError) -> State {
        let claimed = busy.withLock { $0.insert(id).inserted }
        guard claimed else {
            throw StoreError(.uploadInvalid, "upload \(id) is in use by another request")
        }
        do throws(StoreError) {
            var state = states.withLock { $0[id] }
            if state == nil {
                state = try load()
                if let state { states.withLock { $0[id] = state } }
            }
            guard let state, state.repository == repository else {
                throw StoreError(.uploadUnknown, "upload \(id) is unknown to repository \(repository)")
            }
            return state
        } catch {
            busy.withLock { _ = $0.remove(id) }
            throw error
        }
    }

    /// Stores the session's new state and gives up exclusive use.
    func release(_ id: UploadID, state: State) {
        states.withLock { $0[id] = state }
        busy.withLock { _ = $0.remove(id) }
    }

    /// Forgets a session (finished, cancelled or expired).
    func remove(_ id: UploadID) {
        states.withLock { _ = $0.removeValue(forKey: id) }
        busy.withLock { _ = $0.remove(id) }
    }
}
