/// Ground Control's own values shared by every process: the admin token's hash, the signing key.
package protocol MetaRepository: Sendable {
    func value(_ key: String) async throws -> String?

    func set(_ key: String, to value: String) async throws

    /// Sets it unless it is set; returns whether this call set it.
    func setIfAbsent(_ key: String, to value: String) async throws -> Bool

    /// Gives `owner` the lease on `job` until `until` (milliseconds) when it is free at `now`
    /// (never held, ended, or `owner`'s already); whether `owner` holds it.
    func hold(lease job: String, owner: String, until: Int64, now: Int64) async throws -> Bool
}
