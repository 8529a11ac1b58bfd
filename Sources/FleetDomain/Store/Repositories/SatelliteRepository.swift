import SatelliteProtocol

/// Satellites, their groups, their secrets (as hashes) and the record of deleted ones.
package protocol SatelliteRepository: Sendable {
    func named(_ name: String) async throws -> SatelliteRecord?

    /// Every satellite, by name.
    func all() async throws -> [SatelliteRecord]

    /// The satellites of these names that exist, in any order.
    func named(in names: [String]) async throws -> [SatelliteRecord]

    /// The satellite's row as its every request needs it (no report), with its groups.
    func stateRow(of name: String) async throws -> SatelliteStateRow?

    /// Adds a pending satellite with its groups and registration token.
    func create(_ satellite: NewSatellite) async throws

    /// Deletes it and its groups; returns what it was. A tombstone at `revision` tells every
    /// process's cache that what it holds for the name is void.
    func delete(_ name: String, tombstoneRevision revision: Int64) async throws -> SatelliteRecord?

    /// Stamps one satellite, or every member of a site (returned), with a revision: caches read
    /// them again.
    func setRevision(_ revision: Int64, of name: String) async throws
    @discardableResult
    func setRevision(_ revision: Int64, ofSite site: String) async throws -> Set<String>

    func setSettings(_ settings: SatelliteSettings, of name: String) async throws

    /// Records a one-off sync window for the satellite; false when there is no such satellite.
    func setSyncNow(_ id: String, of name: String) async throws -> Bool

    /// The satellites and tombstones whose revision is above `revision`, with it.
    func revisions(after revision: Int64) async throws -> [(name: String, revision: Int64)]

    // MARK: Lifecycle

    /// Ends its credentials and any unused token; returns what it was, nil when unknown.
    func revoke(_ name: String) async throws -> SatelliteRecord?

    /// Gives it a new registration token (a revoked one becomes pending); false when unknown.
    func issueToken(_ token: TokenGrant, to name: String) async throws -> Bool

    /// Asks a registered satellite to rotate at its next heartbeat; nil when it is not registered.
    func requestRotation(of name: String) async throws -> SatelliteRecord?

    /// Lets its credential and unused token have the secrets its state needs; nil when unknown.
    func approve(_ name: String) async throws -> SatelliteRecord?

    /// Records the address a registered satellite advertised; nil when it is not registered.
    func setAdvertisedURL(_ url: String?, of name: String) async throws -> SatelliteRecord?

    /// Writes a heartbeat of a registered satellite (a revoked one's is dropped), with the
    /// digest of its body as sent.
    func recordHeartbeat(of name: String, at: Int64, report: StatusReport, digest: String?) async throws

    /// Records that a registered satellite was heard from at `at` without a status (a quiet
    /// heartbeat, a long-poll), and until when the long-poll it holds vouches for it.
    func recordPresence(of name: String, at: Int64, pollingUntil: Int64?) async throws

    /// The digest of the status a satellite last sent in full.
    func statusDigest(of name: String) async throws -> String?

    // MARK: Secrets (hashes only)

    /// The satellite whose unused token has this hash.
    func tokenHolder(tokenHash: String) async throws -> TokenHolder?

    /// Exchanges the token for a credential: registered from `at`, approved as the token was.
    /// False when the token was used meanwhile.
    func register(_ name: String, tokenHash: String, credentialHash: String, at: Int64) async throws -> Bool

    /// The satellite holding a credential with this hash, current or next.
    func credentialHolder(credentialHash: String) async throws -> CredentialHolder?

    /// Makes the next credential current once the satellite has used it.
    func retirePreviousCredential(of name: String, nextHash: String) async throws

    /// Sets the next credential of a satellite asked to rotate; false when it was not asked.
    func issueNextCredential(_ hash: String, to name: String) async throws -> Bool

    // MARK: Groups

    /// Each satellite's groups, sorted, for the satellites named (nil: every satellite).
    func groups(of names: [String]?) async throws -> [String: [String]]

    /// Adds it to a group; false when it was in it already.
    func addGroup(_ group: String, to name: String) async throws -> Bool

    /// Takes it out of a group; false when it was not in it.
    func removeGroup(_ group: String, from name: String) async throws -> Bool

    /// The satellites in any of `groups`.
    func members(ofAny groups: [String]) async throws -> Set<String>

    /// Up to `limit` satellites in `group`, by name.
    func members(of group: String, limit: Int) async throws -> [String]

    /// The registered satellites, each with its revision and how far it applied its state.
    func registered() async throws -> [RegisteredSatellite]

    /// The names of the page of satellites `query` asks for, in its order, judged at `now`
    /// (milliseconds), and how many match in all.
    func page(_ query: SatelliteQuery, now: Int64) async throws -> (names: [String], total: Int)

    /// How many satellites are in each state at `now` (milliseconds).
    func countByState(now: Int64) async throws -> [String: Int]

    /// Those of `names` still registered.
    func registered(named names: [String]) async throws -> [RegisteredSatellite]

    /// The registered satellites that sent their status in full at or after `since` (milliseconds).
    func registered(reportedSince since: Int64) async throws -> [RegisteredSatellite]
}

/// A satellite (its secrets excluded).
package struct SatelliteRecord: Sendable, Equatable {
    let name: String
    /// `pending`, `registered` or `revoked`; `online` and `stale` are worked out from `lastSeen`.
    let status: String
    let labels: [String: String]
    let settings: SatelliteSettings
    let revision: Int64
    /// Milliseconds since 1970, as are the other times.
    let createdAt: Int64
    let registeredAt: Int64?
    let lastSeen: Int64?
    /// Until when a long-poll it holds vouches for it (`Fleet.lastHeard`).
    var pollingUntil: Int64? = nil
    let appliedGeneration: Int64?
    let report: StatusReport?
    let rotateRequested: Bool
    let site: String?
    let advertisedURL: String?
    /// Whether an admin stands behind its credential (registered) or its unused token (pending).
    let approved: Bool
}

/// A satellite's row as each of its requests reads it: no report, settings as stored.
package struct SatelliteStateRow: Sendable, Equatable {
    let name: String
    let revision: Int64
    let status: String
    let rotateRequested: Bool
    /// The settings as stored (JSON), which also keys the document cache.
    let settingsJSON: String
    let site: String?
    let advertisedURL: String?
    /// Whether an admin stands behind its credential.
    let approved: Bool
    /// Sorted.
    let groups: [String]
    /// The latest one-off sync window an admin opened.
    var syncNow: String? = nil
}

/// A satellite to add, pending, with its one-time token.
package struct NewSatellite: Sendable {
    let name: String
    let labels: [String: String]
    let settings: SatelliteSettings
    let site: String?
    let groups: [String]
    let revision: Int64
    let createdAt: Int64
    let token: TokenGrant
}

/// A registration token as stored: its hash, its expiry, and whether an admin asked for it.
package struct TokenGrant: Sendable {
    let hash: String
    /// Milliseconds since 1970.
    let expiresAt: Int64
    let approved: Bool
}

package struct TokenHolder: Sendable {
    let name: String
    let expiresAt: Int64?
    let settings: SatelliteSettings
}

package struct CredentialHolder: Sendable {
    let name: String
    let revision: Int64
    /// The hash is of its next credential, first used now.
    let isNext: Bool
}

package struct RegisteredSatellite: Sendable {
    let name: String
    let revision: Int64
    let lastSeen: Int64?
    var pollingUntil: Int64? = nil
    let appliedGeneration: Int64?
    /// Moves with every status it sends in full, not with its quiet heartbeats and long-polls.
    var statusDigest: String? = nil
}
