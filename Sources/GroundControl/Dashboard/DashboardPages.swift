import FleetDomain
import Foundation
import SatelliteProtocol

/// What every page shows around its content: who is logged in, the navigation, the CSRF token
/// its scripts send with a change, and what the role may do (the API decides; the page only
/// leaves out what would be refused).
struct PageFrame {
    struct NavLink {
        let href: String
        let label: String
        let current: Bool
    }

    let title: String
    let user: String
    let role: String
    let csrf: String
    let nav: [NavLink]
    let canOperate: Bool
    let isAdmin: Bool

    init(title: String, section: String, principal: Principal, session: String) {
        self.title = title
        user = principal.user ?? principal.actor.description
        role = principal.role.rawValue
        csrf = BrowserSession.csrfToken(for: session)
        nav = [
            ("/", "Fleet"), ("/groups", "Groups"), ("/rollouts", "Rollouts"), ("/demand", "Demand"),
            ("/registries", "Registries"), ("/events", "Events"), ("/audit", "Audit log"),
        ].map {
            NavLink(href: $0.0, label: $0.1, current: $0.0 == section)
        }
        canOperate = principal.role >= .operator
        isAdmin = principal.role >= .admin
    }
}

/// One choice of a filter's drop-down.
struct Choice {
    let value: String
    let selected: Bool
}

struct LoginPage {
    let next: String
    let csrf: String
    let error: String?
    /// The OIDC provider's button, when one is configured.
    let oidcName: String?
    let oidcURL: String
}

struct ErrorPage {
    let frame: PageFrame
    let status: Int
    let message: String
}

/// The fleet overview: counts over every satellite, then the filtered, sorted list.
struct OverviewPage {
    struct StateCount {
        let state: String
        let count: Int
        let href: String
    }

    struct Column {
        let label: String
        let href: String?
        let arrow: String
    }

    struct Row {
        let name: String
        let state: String
        let site: String
        let groups: String
        let generation: String
        let behind: Bool
        let failed: String?
        let lastSeen: String
        let lastSeenAt: String
    }

    struct Filter {
        let q: String
        let sort: String
        let states: [Choice]
        let groups: [Choice]
        let sites: [Choice]
    }

    struct Fleet {
        let counts: [StateCount]
        let behind: Int
        let failing: Int
        let synced: String
        let fromPeers: String
        let columns: [Column]
        let rows: [Row]
        /// Satellites that match the filters, of `total`; the page shows `from` to `to` of them.
        let shown: Int
        let total: Int
        let from: Int
        let to: Int
        /// The neighbouring pages, when there are.
        let previous: String?
        let next: String?
        let asOf: String
    }

    let frame: PageFrame
    let filter: Filter
    let fleet: Fleet
    let liveURL: String
}

struct SatellitePage {
    struct Fact {
        let label: String
        let value: String
        let title: String
    }

    struct Failure {
        let reference: String
        let reason: String
        let message: String
    }

    struct HeldBack {
        let artifact: String
        let digest: String
        let reason: String
    }

    struct Membership {
        let name: String
        let removeURL: String
    }

    /// Something devices asked it for that it did not hold.
    struct Asked {
        let artifact: String
        let misses: Int64
        let denied: Int64
        let notFound: Int64
        let lastAsked: String
        let lastAskedAt: String
    }

    struct Status {
        let name: String
        let state: String
        let behind: Bool
        let facts: [Fact]
        let failures: [Failure]
        let missing: [String]
        let heldBack: [HeldBack]
        let asked: [Asked]
        /// Upstream bytes of each of the last 30 days, when it reports a meter.
        let meterChart: SVGChart?
        let asOf: String
        // Mustache iterates a list section; these say whether to show the list's heading at all.
        let hasFailures: Bool
        let hasMissing: Bool
        let hasHeldBack: Bool
        let hasAsked: Bool
    }

    let frame: PageFrame
    let name: String
    let status: Status
    let liveURL: String
    let labels: [Fact]
    let groups: [Membership]
    let otherGroups: [Choice]
    let hasOtherGroups: Bool
    let hasLabels: Bool
    let settings: SatelliteSettingsForm
    let pending: Bool
    let revoked: Bool
    let awaitingApproval: Bool
}

/// The settings form's values, as the inputs show them.
struct SatelliteSettingsForm {
    let syncIntervalSeconds: Int
    let heartbeatIntervalSeconds: Int
    let logLevels: [Choice]
    let runtimes: String
    let cacheMaxBytes: String
}

struct GroupsPage {
    struct Row {
        let name: String
        let registry: String
        let artifacts: Int
        let members: Int
        let gate: String
        let signatures: String
        let updated: String
    }

    let frame: PageFrame
    let rows: [Row]
    let registries: [Choice]
    let example: String
}

struct GroupPage {
    struct Artifact {
        let reference: String
        let digest: String
        let heldBack: String?
    }

    let frame: PageFrame
    let name: String
    let registry: String
    let artifacts: [Artifact]
    let members: [String]
    let facts: [SatellitePage.Fact]
    let definition: String
}

struct RegistriesPage {
    struct Row {
        let name: String
        let url: String
        let kind: String
        let username: String
        let password: Bool
        let webhook: Bool
        let insecure: Bool
        let updated: String
    }

    let frame: PageFrame
    let rows: [Row]
}

struct AuditPage {
    struct Entry {
        let at: String
        let ago: String
        let actor: String
        let action: String
        let target: String
        let detail: String
    }

    let frame: PageFrame
    let actor: String
    let action: String
    let target: String
    let entries: [Entry]
    let olderURL: String?
}

struct EventsPage {
    struct Subscription {
        let name: String
        let url: String
        let types: String
        let pending: Int
        let failures: Int
        let failing: Bool
        let retry: String
        let lastError: String
    }

    struct Delivery {
        let at: String
        let ago: String
        let subscription: String
        let eventId: Int64
        let type: String
        let attempt: Int
        let delivered: Bool
        let result: String
    }

    let frame: PageFrame
    let subscriptions: [Subscription]
    let deliveries: [Delivery]
}
