import OCI

/// What a satellite must hold: upstream registries and the artifacts to mirror from them.
///
/// The same document comes from Ground Control or from a local `--state-file` (DESIGN.md §5.2).
/// Fields may be added; none removed or renamed without a new `schemaVersion`.
public struct DesiredState: Codable, Sendable, Equatable {
    /// The only schema version this code reads.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// Increases on every change; a satellite reports the generation it has applied.
    public var generation: Int64
    public var upstreams: [Upstream]
    public var artifacts: [Artifact]
    /// Sync and heartbeat intervals and log level, when Ground Control sets them.
    public var settings: SatelliteSettings?
    /// Pull-through for what no artifact names: per upstream, the repositories that may be
    /// fetched on first pull. Anything else is denied, never fetched. None: no pull-through.
    public var proxy: [ProxyRule]?
    /// Other satellites at the same site, asked for content before the upstream.
    public var peers: [Peer]?
    /// The site this satellite belongs to, with the credential its satellites share.
    public var site: Site?
    /// The signature policy for every artifact that sets none of its own.
    public var verification: Verification?
    /// Keep what the state before this one named, untagged, until the next: a rollout may go
    /// back to it (an abort), and then nothing needs fetching. Ground Control sets it for the
    /// members of groups with a rollout policy.
    public var keepPrevious: Bool?
    /// When the satellite may use its upstreams: its own windows, or its site's.
    public var syncWindows: SyncWindows?
    /// Bytes the satellite may fetch from its upstreams per day or month (`UpstreamBudget`):
    /// past one, it fetches nothing more but what its critical artifacts need.
    public var upstreamBudgets: [String]?
    /// Set anew each time an admin opens a one-off window (`satctl satellites sync-now`): the
    /// next sync may use upstreams whatever the windows say.
    public var syncNow: String?
    /// The satellite this state is for. Ground Control names it in every state it signs, so a
    /// signed state (or a bundle) taken to another satellite is refused there.
    public var satellite: String?

    public init(
        schemaVersion: Int = DesiredState.currentSchemaVersion, generation: Int64, upstreams: [Upstream],
        artifacts: [Artifact],
        settings: SatelliteSettings? = nil, proxy: [ProxyRule]? = nil, peers: [Peer]? = nil, site: Site? = nil,
        verification: Verification? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.generation = generation
        self.upstreams = upstreams
        self.artifacts = artifacts
        self.settings = settings
        self.proxy = proxy
        self.peers = peers
        self.site = site
        self.verification = verification
    }

    /// Which repositories of an upstream may be pulled through, and how long a cached tag is
    /// served before one `HEAD` revalidates it.
    public struct ProxyRule: Codable, Sendable, Equatable {
        public var upstream: String
        public var repositories: [RepositoryPattern]
        /// Seconds; 300 when absent.
        public var tagTTL: Int?
        /// The signature policy for what this rule pulls through; the state's when absent.
        public var verification: Verification?

        public static let defaultTagTTL = 300

        public init(
            upstream: String, repositories: [RepositoryPattern], tagTTL: Int? = nil, verification: Verification? = nil
        ) {
            self.upstream = upstream
            self.repositories = repositories
            self.tagTTL = tagTTL
            self.verification = verification
        }

        /// Whether `repository` may be fetched on demand under this rule.
        public func allows(_ repository: RepositoryName) -> Bool {
            repositories.contains { $0.matches(repository) }
        }
    }

    /// A registry to pull from.
    public struct Upstream: Codable, Sendable, Equatable, CustomStringConvertible {
        public var name: String
        /// Base URL, `http(s)://host[:port]`.
        public var url: String
        /// Skip TLS certificate verification.
        public var insecure: Bool?
        public var username: String?
        /// Never logged; see `description`.
        public var password: String?
        /// A file holding the password, read when the state is applied.
        public var passwordFile: String?
        /// A PEM file of CA certificates to trust for this upstream.
        public var caFile: String?

        public init(
            name: String, url: String, insecure: Bool? = nil, username: String? = nil, password: String? = nil,
            passwordFile: String? = nil, caFile: String? = nil
        ) {
            self.name = name
            self.url = url
            self.insecure = insecure
            self.username = username
            self.password = password
            self.passwordFile = passwordFile
            self.caFile = caFile
        }

        /// A description safe for logs: the password is never shown.
        public var description: String {
            let user = username.map { ", user \($0)" } ?? ""
            let password = password != nil || passwordFile != nil ? ", password set" : ""
            return "\(name) (\(url)\(user)\(password))"
        }
    }

    /// When a satellite may use its upstream links, and what a pull-through miss gets outside them.
    public struct SyncWindows: Codable, Sendable, Equatable {
        /// `Mon-Fri 22:00-05:00 Europe/Berlin` and the like (`SyncWindow`); open when any is.
        public var windows: [String]
        /// `defer` (the default): a miss outside the windows is a 404 saying when they open;
        /// `allow`: it is fetched all the same.
        public var outsideWindow: String?

        public static let deferMisses = "defer"
        public static let allowMisses = "allow"

        public init(windows: [String], outsideWindow: String? = nil) {
            self.windows = windows
            self.outsideWindow = outsideWindow
        }

        /// Whether pull-through misses are fetched outside the windows.
        public var allowsMisses: Bool { outsideWindow == Self.allowMisses }
    }

    /// One image or artifact to mirror: by tag, by digest, or both (the digest pins; the tag is set to it).
    public struct Artifact: Codable, Sendable, Equatable, Hashable {
        public var upstream: String
        public var repository: RepositoryName
        public var tag: Tag?
        public var digest: Digest?
        /// Only these platforms of an index (`linux/amd64`); all when absent.
        public var platforms: [String]?
        /// This artifact's signature policy, in place of the state's (Ground Control sets each
        /// group's on its artifacts).
        public var verification: Verification?
        /// When its content may be fetched from its upstream (its group's windows), besides the
        /// satellite's own; always when absent.
        public var syncWindows: [String]?
        /// `critical`: fetched even past the satellite's upstream budget (counted, reported).
        public var priority: String?

        public static let critical = "critical"

        public init(
            upstream: String, repository: RepositoryName, tag: Tag? = nil, digest: Digest? = nil,
            platforms: [String]? = nil,
            verification: Verification? = nil, syncWindows: [String]? = nil, priority: String? = nil
        ) {
            self.priority = priority
            self.upstream = upstream
            self.repository = repository
            self.tag = tag
            self.digest = digest
            self.platforms = platforms
            self.verification = verification
            self.syncWindows = syncWindows
        }

        /// `repository:tag@digest`, for logs and status.
        public var reference: String {
            repository.value + (tag.map { ":\($0)" } ?? "") + (digest.map { "@\($0)" } ?? "")
        }
    }
}
