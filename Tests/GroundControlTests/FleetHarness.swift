import Crypto
import FleetDomain
import Foundation
import GroundControl
import Logging
import Synchronization
import TestSupport
import Testing

/// The stores every fleet contract test runs against: the two databases, and memory.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres
    case inMemory

    /// The SQL databases, for what has no repository yet (issue 26 moves the rest) and for the
    /// schema's own tests (migrations, backfills).
    static let databases: [Backend] = [.sqlite, .postgres]

    var testDescription: String { rawValue }

    /// A new empty store: a SQLite file in a temp directory, a fresh PostgreSQL database, or memory.
    func makeStore(in directory: TemporaryDirectory) async throws -> any FleetStore {
        switch self {
        case .inMemory:
            return InMemoryFleetStore()
        case .sqlite:
            return try SQLiteFleetStore(path: directory.appending("fleet.sqlite"), secrets: .forTests)
        case .postgres:
            var logger = Logger(label: "test-postgres")
            logger.logLevel = .error
            return try PostgresFleetStore(
                url: try await PostgresServer.shared.makeDatabase(), secrets: .forTests, logger: logger)
        }
    }
}

/// A clock the tests move by hand (for token expiry and staleness).
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))

    var now: Date { current.withLock { $0 } }

    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Runs `body` with a migrated fleet on `backend`, its store's service running meanwhile.
func withFleet<T: Sendable>(
    _ backend: Backend, clock: TestClock = TestClock(), tokenLifetime: TimeInterval = 3600,
    _ body: @Sendable (Fleet, TestClock) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory("fleet")
    defer { directory.remove() }
    let store = try await backend.makeStore(in: directory)
    let service = Task { try await store.run() }
    defer { service.cancel() }
    let fleet = Fleet(store: store, tokenLifetime: tokenLifetime, now: { clock.now })
    try await fleet.prepare()
    return try await body(fleet, clock)
}

/// Asserts that `operation` fails with the Ground Control error `code`.
func expectFailure(
    _ code: GroundControlError.Code, _ operation: () async throws -> Void,
    sourceLocation: SourceLocation = #_sourceLocation
) async {
    do {
        try await operation()
        Issue.record("expected \(code), but it succeeded", sourceLocation: sourceLocation)
    } catch let error as GroundControlError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

extension SecretSealer {
    /// One key for the whole run, so a test may open again a database it wrote.
    static let forTests = SecretSealer(key: SymmetricKey(size: .bits256))
}
