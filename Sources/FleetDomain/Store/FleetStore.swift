import ServiceLifecycle

/// Where the fleet lives: SQLite for a small fleet, PostgreSQL for several replicas, memory for
/// tests of the domain. The domain sees typed records through the repositories of `FleetRecords`
/// and never SQL.
///
/// A `Service`: PostgreSQL's connection pool runs inside it; the others wait for shutdown.
public protocol FleetStore: Service {
    /// Brings the schema up to date; run before serving.
    func prepare() async throws

    /// Runs `body` outside a transaction: each read sees the latest committed data (reads may run
    /// concurrently). Use `transaction` to write or to see one snapshot.
    func read<T: Sendable>(_ body: @Sendable (FleetRecords) async throws -> T) async throws -> T

    /// Runs `body` in one transaction: all of its changes commit, or none do when it throws.
    /// Transactions are serialised, so a read-then-write inside one sees no concurrent change.
    @discardableResult
    func transaction<T: Sendable>(_ body: @Sendable (FleetRecords) async throws -> T) async throws -> T
}

/// The repositories of one `read` or `transaction`, an area each.
public struct FleetRecords: Sendable {
    package let revision: any RevisionRepository
    package let audit: any AuditRepository
    package let registries: any RegistryRepository
    package let groups: any GroupRepository
    package let rollouts: any RolloutRepository
    package let events: any EventRepository
    package let robots: any RobotRepository
    package let satellites: any SatelliteRepository
    package let sites: any SiteRepository
    package let health: any HealthRepository
    package let bundles: any BundleRepository
    package let certificates: any CertificateRepository
    package let meta: any MetaRepository
    package let people: any PeopleRepository
    package let subscriptions: any SubscriptionRepository
}
