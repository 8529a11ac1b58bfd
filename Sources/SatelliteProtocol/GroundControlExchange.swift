import Foundation
import OCI

// What a satellite and Ground Control exchange (DESIGN.md §5.3): registration, heartbeats and
// their replies, the settings Ground Control sends. `openapi.json` in the GroundControl module is
// the reference for their shapes; the admin API's documents are in FleetAPI.

/// How often a satellite syncs and reports, and how much it logs.
public struct SatelliteSettings: Codable, Sendable, Equatable {
    public var syncIntervalSeconds: Int
    public var heartbeatIntervalSeconds: Int
    public var logLevel: String
    /// The node runtimes the satellite points at itself (`containerd`, `crio`, `podman`, `docker`,
    /// `k3s`, `rke2`); when set, it replaces the satellite's `--configure-runtime`.
    public var runtimes: [String]?
    /// Bytes pulled-through content may take on disk; when set, replaces the satellite's
    /// `--cache-max-bytes`. What the state names never counts.
    public var cacheMaxBytes: Int64?
    /// When it may use its upstream links (`Mon-Fri 22:00-05:00 Europe/Berlin`); its site's
    /// windows apply when it has none.
    public var syncWindows: [String]?
    /// `defer` or `allow`: what a pull-through miss gets outside its windows.
    public var outsideWindow: String?
    /// Bytes it may fetch from upstreams per day or month (`5GiB/month`, `200MiB/day`).
    public var upstreamBudgets: [String]?

    /// The runtimes a satellite knows how to configure.
    public static let knownRuntimes = ["containerd", "crio", "podman", "docker", "k3s", "rke2"]

    public static let defaults = SatelliteSettings(
        syncIntervalSeconds: 60, heartbeatIntervalSeconds: 30, logLevel: "info")

    public init(
        syncIntervalSeconds: Int, heartbeatIntervalSeconds: Int, logLevel: String, runtimes: [String]? = nil,
        cacheMaxBytes: Int64? = nil
    ) {
        self.syncIntervalSeconds = syncIntervalSeconds
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.logLevel = logLevel
        self.runtimes = runtimes
        self.cacheMaxBytes = cacheMaxBytes
    }
}

/// `POST /api/v1/register`.
public struct RegistrationRequest: Codable, Sendable, Equatable {
    public var token: String
    /// A certificate signing request (PEM) for the satellite's own key: with it, the reply
    /// carries a certificate naming the satellite.
    public var csr: String?

    public init(token: String, csr: String? = nil) {
        self.token = token
        self.csr = csr
    }
}

/// The satellite's credential (shown once) and the key that signs its desired state.
public struct RegistrationResponse: Codable, Sendable, Equatable {
    public var name: String
    public var credential: String
    /// Ed25519 public key, raw 32 bytes in base64.
    public var publicKey: String
    public var settings: SatelliteSettings
    /// For a request with a CSR: the satellite's certificate and the authority's chain after it (PEM).
    public var certificate: String?
    /// For a request with a CSR: what to trust for Ground Control's satellites (PEM).
    public var trustBundle: String?

    public init(
        name: String, credential: String, publicKey: String, settings: SatelliteSettings,
        certificate: String? = nil, trustBundle: String? = nil
    ) {
        self.name = name
        self.credential = credential
        self.publicKey = publicKey
        self.settings = settings
        self.certificate = certificate
        self.trustBundle = trustBundle
    }
}

/// How the satellite's last sync went.
public struct SyncResult: Codable, Sendable, Equatable {
    public var succeeded: Bool
    public var finishedAt: Date?
    public var durationSeconds: Double?
    public var error: String?
    /// Each artifact the sync could not bring in line, with why.
    public var failures: [ArtifactFailure]?

    public init(
        succeeded: Bool, finishedAt: Date? = nil, durationSeconds: Double? = nil, error: String? = nil,
        failures: [ArtifactFailure]? = nil
    ) {
        self.succeeded = succeeded
        self.finishedAt = finishedAt
        self.durationSeconds = durationSeconds
        self.error = error
        self.failures = failures
    }

    /// Whether the sync fell short: it ended in an error, or left some artifact out of line.
    public var failed: Bool { !succeeded || !(failures ?? []).isEmpty }
}

/// `POST /api/v1/status`: the heartbeat.
public struct StatusReport: Codable, Sendable, Equatable {
    /// The desired-state generation the satellite has applied.
    public var generation: Int64
    /// Digests of the manifests the satellite holds because the state names them (pinned).
    public var inventory: [Digest]
    /// Digests of the manifests it holds because a client pulled them through (cached, and
    /// evicted when over the disk budget). Absent from satellites before pull-through.
    public var cached: [Digest]?
    public var diskUsedBytes: Int64?
    public var diskFreeBytes: Int64?
    public var lastSync: SyncResult?
    public var version: String?
    /// Where the other satellites of its site reach it (`satellite run --advertise`); Ground
    /// Control lists it as their peer.
    public var advertisedURL: String?
    /// Bytes it fetched from its site's peers and from upstreams, and sent to peers, since it started.
    public var transfer: TransferCounts?
    /// Whether it may use its upstream links now, and until when.
    public var link: LinkReport?
    /// Bytes it fetched from upstreams, per day, and against its budgets.
    public var meter: MeterReport?
    /// What devices asked for that it did not hold.
    public var demand: DemandReport?

    public init(
        generation: Int64, inventory: [Digest], cached: [Digest]? = nil, diskUsedBytes: Int64? = nil,
        diskFreeBytes: Int64? = nil,
        lastSync: SyncResult? = nil, version: String? = nil, advertisedURL: String? = nil,
        transfer: TransferCounts? = nil, link: LinkReport? = nil, meter: MeterReport? = nil,
        demand: DemandReport? = nil
    ) {
        self.demand = demand
        self.link = link
        self.meter = meter
        self.generation = generation
        self.inventory = inventory
        self.cached = cached
        self.diskUsedBytes = diskUsedBytes
        self.diskFreeBytes = diskFreeBytes
        self.lastSync = lastSync
        self.version = version
        self.advertisedURL = advertisedURL
        self.transfer = transfer
    }
}

/// A satellite's upstream link as its windows leave it.
public struct LinkReport: Codable, Sendable, Equatable {
    /// Whether its windows (or a one-off one) let it use upstreams now.
    public var windowOpen: Bool
    /// When that next changes; absent when it never does.
    public var windowChangesAt: Date?
    /// A one-off window (`sync-now`) is open until the sync it was for ends.
    public var syncNowOpen: Bool?
    /// Windows it cannot follow (an unknown time zone here), each with why.
    public var problems: [String]?

    public init(windowOpen: Bool, windowChangesAt: Date? = nil, syncNowOpen: Bool? = nil, problems: [String]? = nil) {
        self.windowOpen = windowOpen
        self.windowChangesAt = windowChangesAt
        self.syncNowOpen = syncNowOpen
        self.problems = problems
    }
}

/// A satellite's upstream bytes: each of the last 30 days, and each budget's use.
public struct MeterReport: Codable, Sendable, Equatable {
    /// One budget in its current period.
    public struct BudgetUse: Codable, Sendable, Equatable {
        /// As the state gives it (`1MiB/month`).
        public var budget: String
        /// `2026-12-07` or `2026-12` (UTC).
        public var period: String
        public var usedBytes: Int64
        public var limitBytes: Int64
        /// A fetch was refused for it this period.
        public var exhausted: Bool

        public init(budget: String, period: String, usedBytes: Int64, limitBytes: Int64, exhausted: Bool) {
            self.budget = budget
            self.period = period
            self.usedBytes = usedBytes
            self.limitBytes = limitBytes
            self.exhausted = exhausted
        }
    }

    /// Upstream bytes of one day (UTC).
    public struct Day: Codable, Sendable, Equatable {
        public var day: String
        public var bytes: Int64

        public init(day: String, bytes: Int64) {
            self.day = day
            self.bytes = bytes
        }
    }

    public var budgets: [BudgetUse]
    /// Oldest first; days without traffic left out.
    public var days: [Day]
    /// Bytes critical artifacts fetched past a budget this month.
    public var overBudgetBytes: Int64?
    /// Budgets it cannot read, each with why; they are not applied.
    public var problems: [String]?

    public init(budgets: [BudgetUse], days: [Day], overBudgetBytes: Int64? = nil, problems: [String]? = nil) {
        self.budgets = budgets
        self.days = days
        self.overBudgetBytes = overBudgetBytes
        self.problems = problems
    }

    /// Whether any budget turned a fetch away this period.
    public var exhausted: Bool { budgets.contains(where: \.exhausted) }
}

/// Where a satellite's bytes came from and went to, since it started.
public struct TransferCounts: Codable, Sendable, Equatable {
    public var fromPeersBytes: Int64
    public var fromUpstreamBytes: Int64
    public var toPeersBytes: Int64

    public init(fromPeersBytes: Int64, fromUpstreamBytes: Int64, toPeersBytes: Int64) {
        self.fromPeersBytes = fromPeersBytes
        self.fromUpstreamBytes = fromUpstreamBytes
        self.toPeersBytes = toPeersBytes
    }
}

/// Something Ground Control asks of a satellite in a heartbeat reply.
public struct SatelliteInstruction: Codable, Sendable, Equatable {
    /// `rotateCredential`: use `credential` from now on; the old one stops working once the new one is used.
    public var type: String
    public var credential: String?

    public init(type: String, credential: String? = nil) {
        self.type = type
        self.credential = credential
    }

    public static let rotateCredential = "rotateCredential"
}

/// The reply to a heartbeat.
public struct StatusReply: Codable, Sendable, Equatable {
    public var desiredGeneration: Int64
    public var settings: SatelliteSettings
    public var commands: [SatelliteInstruction]
    /// The digest of the status Ground Control now holds for the satellite (`QuietHeartbeat`).
    /// Its presence says Ground Control takes quiet heartbeats; older ones send none.
    public var statusDigest: String?
    /// How long a satellite whose status has not changed, and whose long-poll Ground Control
    /// holds, may go between heartbeats; absent: every heartbeat interval.
    public var quietIntervalSeconds: Int?
    /// The `?wait=` Ground Control asks long-polls to use; absent: the satellite's own.
    public var pollWaitSeconds: Int?

    public init(
        desiredGeneration: Int64, settings: SatelliteSettings, commands: [SatelliteInstruction],
        statusDigest: String? = nil, quietIntervalSeconds: Int? = nil, pollWaitSeconds: Int? = nil
    ) {
        self.desiredGeneration = desiredGeneration
        self.settings = settings
        self.commands = commands
        self.statusDigest = statusDigest
        self.quietIntervalSeconds = quietIntervalSeconds
        self.pollWaitSeconds = pollWaitSeconds
    }
}

/// Every API error body: a stable code and a message naming the problem.
public struct APIErrorBody: Codable, Sendable, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// The JSON coding both sides use: ISO 8601 dates, sorted keys.
public enum APIJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// `POST /api/v1/certificate`: a satellite renewing its certificate, over mTLS with the one it
/// holds (or, until it has one, with its credential).
public struct CertificateRenewalRequest: Codable, Sendable, Equatable {
    /// A certificate signing request (PEM) for the key to certify: the same as before, or a new one.
    public var csr: String

    public init(csr: String) {
        self.csr = csr
    }
}

/// The renewed certificate and what to trust for satellites' certificates.
public struct CertificateRenewalResponse: Codable, Sendable, Equatable {
    /// The satellite's certificate and the authority's chain after it (PEM).
    public var certificate: String
    public var trustBundle: String

    public init(certificate: String, trustBundle: String) {
        self.certificate = certificate
        self.trustBundle = trustBundle
    }
}

/// `POST /api/v1/serving-certificate`: a satellite asking for the certificate it serves devices
/// and peers with (`satellite run --tls-from-ground-control`); answered as a renewal is.
public struct ServingCertificateRequest: Codable, Sendable, Equatable {
    /// A certificate signing request (PEM) for the serving key, which is not the client key.
    public var csr: String
    /// The hosts it is reached at: DNS names or IP addresses, 1 to 8.
    public var names: [String]

    public init(csr: String, names: [String]) {
        self.csr = csr
        self.names = names
    }
}

/// The code of a 401 for the client certificate's chain or validity rather than the satellite
/// (unknown, revoked): the satellite tries again instead of taking it for a revocation.
public enum CertificateRefusal {
    public static let code = "CERTIFICATE_REFUSED"
}
