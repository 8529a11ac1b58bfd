import ServiceLifecycle
import Synchronization

/// The fleet in memory, for tests of the domain without a database. It keeps the contract of
/// the SQL stores: a transaction's changes commit together or not at all, transactions run one
/// at a time, and a read sees committed data only.
public final class InMemoryFleetStore: FleetStore {
    private let committed = Mutex(InMemoryTables())
    private let writer = AsyncLock()

    public init() {}

    public func run() async throws {
        try await gracefulShutdown()
    }

    public func prepare() async throws {}

    /// Everything it holds, as text: what a test looks through for secrets kept in clear.
    package var contents: String { String(reflecting: committed.withLock { $0 }) }

    public func read<T: Sendable>(_ body: @Sendable (FleetRecords) async throws -> T) async throws -> T {
        try await body(.inMemory(InMemoryTransaction(committed.withLock { $0 })))
    }

    @discardableResult
    public func transaction<T: Sendable>(_ body: @Sendable (FleetRecords) async throws -> T) async throws -> T {
        try await writer.withLock {
            let transaction = InMemoryTransaction(self.committed.withLock { $0 })
            let result = try await body(.inMemory(transaction))
            let tables = transaction.tables.withLock { $0 }
            self.committed.withLock { $0 = tables }
            return result
        }
    }
}

/// The working copy of one read or transaction; its repositories change it in place.
final class InMemoryTransaction: Sendable {
    let tables: Mutex<InMemoryTables>

    init(_ tables: InMemoryTables) {
        self.tables = Mutex(tables)
    }

    func read<T: Sendable>(_ body: (borrowing InMemoryTables) throws -> T) rethrows -> T {
        try tables.withLock { try body($0) }
    }

    func change<T: Sendable>(_ body: (inout InMemoryTables) throws -> T) rethrows -> T {
        try tables.withLock { try body(&$0) }
    }
}

extension FleetRecords {
    static func inMemory(_ transaction: InMemoryTransaction) -> FleetRecords {
        FleetRecords(
            revision: InMemoryRevisionRepository(transaction: transaction),
            audit: InMemoryAuditRepository(transaction: transaction),
            registries: InMemoryRegistryRepository(transaction: transaction),
            groups: InMemoryGroupRepository(transaction: transaction),
            rollouts: InMemoryRolloutRepository(transaction: transaction),
            events: InMemoryEventRepository(transaction: transaction),
            robots: InMemoryRobotRepository(transaction: transaction),
            satellites: InMemorySatelliteRepository(transaction: transaction),
            sites: InMemorySiteRepository(transaction: transaction),
            health: InMemoryHealthRepository(transaction: transaction),
            bundles: InMemoryBundleRepository(transaction: transaction),
            certificates: InMemoryCertificateRepository(transaction: transaction),
            meta: InMemoryMetaRepository(transaction: transaction),
            people: InMemoryPeopleRepository(transaction: transaction),
            subscriptions: InMemorySubscriptionRepository(transaction: transaction))
    }
}
