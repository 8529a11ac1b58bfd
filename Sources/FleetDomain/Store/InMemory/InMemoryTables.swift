import FleetAPI
import SatelliteProtocol

/// Everything the in-memory store holds: a value, so a transaction works on a copy.
struct InMemoryTables: Sendable {
    var revision: Int64 = 0
    var audit: [AuditEntry] = []
    var registries: [String: RegistryRecord] = [:]
    var groups: [String: GroupRecord] = [:]
    var rollouts: [Int64: RolloutRecord] = [:]
    var lastRolloutID: Int64 = 0
    var events: [EventService.Event] = []
    /// Ids are not reused after a prune, as in SQL.
    var lastEventID: Int64 = 0
    var robots: [RobotKey: RobotRow] = [:]
    var missingProjects: [String: Set<String>] = [:]
    var satellites: [String: InMemorySatellite] = [:]
    /// Deleted satellites and the revision of their deletion.
    var tombstones: [String: Int64] = [:]
    var health: [String: HealthRecord] = [:]
    var siteEpochs: [String: Int64] = [:]
    var siteSettings: [String: SiteSettings] = [:]
    /// Per satellite, per generation: what its bundle carried.
    var bundles: [String: [Int64: [String]]] = [:]
    /// Issued certificates by serial.
    var certificates: [String: CertificateRecord] = [:]
    var meta: [String: String] = [:]
    var leases: [String: (owner: String, until: Int64)] = [:]
    var users: [String: UserRecord] = [:]
    /// Personal tokens and sessions by hash.
    var userTokens: [String: UserTokenRecord] = [:]
    var sessions: [String: UserTokenRecord] = [:]
    var loginFailures: [(key: String, at: Int64)] = []
    var subscriptions: [String: InMemorySubscription] = [:]
    var deliveries: [DeliveryAttemptRecord] = []
}

/// A subscription as the SQL stores keep it.
struct InMemorySubscription: Sendable {
    var name: String
    var url: String
    var secret: String
    var types: [String]
    var createdAt: Int64
    var deliveredThrough: Int64
    var failures = 0
    var retryAt: Int64 = 0
    var lastError: String?
    var leaseOwner: String?
    var leaseUntil: Int64 = 0

    func leaseIsFree(at: Int64, for owner: String) -> Bool { leaseUntil <= at || leaseOwner == owner }
}

/// A satellite as the SQL stores keep it, secrets (hashes) included.
struct InMemorySatellite: Sendable {
    var name: String
    var status = "pending"
    var labels: [String: String]
    var settings: SatelliteSettings
    var revision: Int64
    var createdAt: Int64
    var registeredAt: Int64?
    var lastSeen: Int64?
    var pollingUntil: Int64?
    var statusDigest: String?
    var reportedAt: Int64?
    var appliedGeneration: Int64?
    var report: StatusReport?
    var rotateRequested = false
    var syncNow: String?
    var site: String?
    var advertisedURL: String?
    var approved = false
    var tokenApproved: Bool
    var tokenHash: String?
    var tokenExpiresAt: Int64?
    var credentialHash: String?
    var nextCredentialHash: String?
    var groups: Set<String>

    var record: SatelliteRecord {
        SatelliteRecord(
            name: name, status: status, labels: labels, settings: settings, revision: revision, createdAt: createdAt,
            registeredAt: registeredAt, lastSeen: lastSeen, pollingUntil: pollingUntil,
            appliedGeneration: appliedGeneration, report: report,
            rotateRequested: rotateRequested, site: site, advertisedURL: advertisedURL,
            approved: status == "pending" ? tokenApproved : approved)
    }
}

/// What identifies a robot's slot.
struct RobotKey: Hashable, Sendable {
    let registry: String
    let satellite: String
    let slot: String

    init(registry: String, satellite: String, slot: String) {
        self.registry = registry
        self.satellite = satellite
        self.slot = slot
    }

    init(_ row: RobotRow) {
        self.init(registry: row.registry, satellite: row.satellite, slot: row.slot)
    }
}
