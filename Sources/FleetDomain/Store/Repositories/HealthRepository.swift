/// What the health watcher last told of each satellite. Changes are claimed with conditional
/// updates, so of several processes watching one database only one tells each.
package protocol HealthRepository: Sendable {
    func all() async throws -> [String: HealthRecord]

    /// The health recorded of those of `names` that have one.
    func named(in names: [String]) async throws -> [String: HealthRecord]

    /// Sets a satellite's health (at registration: online, nothing to tell).
    func reset(_ name: String, to health: HealthRecord) async throws

    /// Records a first sight; false when another process recorded one already.
    func insertIfAbsent(_ name: String, _ health: HealthRecord) async throws -> Bool

    /// Each returns whether this call made the change (it was still as `from` said).
    func claimState(of name: String, from: String, to: String) async throws -> Bool
    func claimDrifting(of name: String, from: Bool, to: Bool) async throws -> Bool
    func claimFailedSync(of name: String, at: Int64) async throws -> Bool

    /// Moves the exhausted budgets told for `name` from `from` to `to`; false when another
    /// process moved them first.
    func claimBudgetExhausted(of name: String, from: String, to: String) async throws -> Bool
}

package struct HealthRecord: Sendable, Equatable {
    var state: String
    var drifting: Bool
    /// Milliseconds since 1970.
    var failedSyncAt: Int64?
    /// The budgets exhausted when last told (`1MiB/month@2026-12`), empty for none.
    var budgetExhausted = ""
}
