import Synchronization

/// The digest of the status each satellite last sent this process in full, so a quiet
/// heartbeat is checked without a query. A satellite this process has not heard in full (a
/// restart, a heartbeat that went to another process) is looked up in the database once.
final class StatusDigests: Sendable {
    private let digests = Mutex<[String: String]>([:])

    /// The digest held for `name`: this process's, else `load`'s (then remembered).
    func digest(of name: String, load: () async throws -> String?) async throws -> String? {
        if let known = digests.withLock({ $0[name] }) { return known }
        let loaded = try await load()
        if let loaded { remember(loaded, for: name) }
        return loaded
    }

    func remember(_ digest: String, for name: String) {
        digests.withLock { $0[name] = digest }
    }
}
