import Foundation
import Logging
import OCI
import Satellite
import SatelliteProtocol
import StateContent
import Synchronization
import TestSupport
import Testing
import ZoneInfo

/// The satellite's gate on its upstreams, on a clock the test moves: what each use may do in and
/// out of the windows, a group's windows, and the one-off window's note surviving a restart, a
/// note it cannot write, and one it cannot read.
@Suite struct LinkWindowsTests {
    /// Monday 2026-12-07, noon UTC.
    static let noon: Int64 = 1_796_644_800

    final class Clock: Sendable {
        let now = Atomic<Int64>(LinkWindowsTests.noon)
    }

    static func state(
        windows: [String], outside: String? = nil, groupWindows: [String]? = nil, syncNow: String? = nil
    ) throws -> DesiredState {
        let repository = try RepositoryName("apps/web")
        var state = DesiredState(
            generation: 1, upstreams: [.init(name: "central", url: "http://127.0.0.1:1")],
            artifacts: [
                .init(upstream: "central", repository: repository, tag: try? Tag("1"), syncWindows: groupWindows)
            ]
        )
        state.syncWindows = windows.isEmpty ? nil : .init(windows: windows, outsideWindow: outside)
        state.syncNow = syncNow
        return state
    }

    static func windows(in directory: TemporaryDirectory, clock: Clock) -> LinkWindows {
        LinkWindows(
            zones: ZoneDatabase(directory: ZoneDatabase.defaultDirectory), directory: DataDirectory(directory.path),
            logger: Logger(label: "test"), clock: { clock.now.load(ordering: .relaxed) })
    }

    static func admits(_ gate: LinkWindows, _ use: UpstreamUse, repository: String = "apps/web") -> Bool {
        guard let name = try? RepositoryName(repository) else { return false }
        return (try? gate.admit(use, upstream: "central", repository: name)) != nil
    }

    @Test func closedWindowsRefuseSyncsAndDeferOrAllowMisses() async throws {
        let directory = try TemporaryDirectory("link-windows")
        defer { directory.remove() }
        let clock = Clock()
        let gate = Self.windows(in: directory, clock: clock)
        #expect(Self.admits(gate, .sync) && gate.report() == nil, "no windows: always, and nothing to report")

        await gate.accepted(try Self.state(windows: ["Mon 13:00-14:00 UTC"]))
        #expect(!Self.admits(gate, .sync) && !Self.admits(gate, .pullThrough))
        #expect {
            try gate.admit(.sync, upstream: "central", repository: try RepositoryName("apps/web"))
        } throws: { error in
            "\(error)".contains("they open at 2026-12-07T13:00:00Z")
        }
        #expect(gate.untilNextOpening() == .seconds(3600))
        #expect(
            gate.report() == LinkReport(windowOpen: false, windowChangesAt: Date(timeIntervalSince1970: 1_796_648_400)))
        clock.now.store(Self.noon + 3600, ordering: .relaxed)
        #expect(Self.admits(gate, .sync) && gate.report()?.windowOpen == true)

        clock.now.store(Self.noon, ordering: .relaxed)
        await gate.accepted(try Self.state(windows: ["Mon 13:00-14:00 UTC"], outside: "allow"))
        #expect(!Self.admits(gate, .sync) && Self.admits(gate, .pullThrough), "allow: misses only")
    }

    @Test func aGroupsWindowsHoldBackItsRepositoriesOnly() async throws {
        let directory = try TemporaryDirectory("link-windows")
        defer { directory.remove() }
        let clock = Clock()
        let gate = Self.windows(in: directory, clock: clock)
        await gate.accepted(try Self.state(windows: [], groupWindows: ["daily 01:00-02:00 UTC"]))
        #expect(!Self.admits(gate, .sync), "its group's window is closed")
        #expect(Self.admits(gate, .sync, repository: "apps/other"), "another repository")
        #expect(Self.admits(gate, .pullThrough), "a miss is not the group's")
        #expect(gate.report()?.windowOpen == true, "the link itself is open")
    }

    @Test func aOneOffWindowIsUsedOnceAcrossRestartsAndFaults() async throws {
        let directory = try TemporaryDirectory("link-windows")
        defer { directory.remove() }
        let clock = Clock()
        let closed = try Self.state(windows: ["Mon 13:00-14:00 UTC"], syncNow: "first")
        let gate = Self.windows(in: directory, clock: clock)
        await gate.accepted(closed)
        #expect(Self.admits(gate, .sync) && gate.report()?.syncNowOpen == true)
        await gate.synced(closed)
        #expect(!Self.admits(gate, .sync), "used by the sync it was for")
        #expect(try String(contentsOfFile: directory.appending("sync-now-used"), encoding: .utf8) == "first")

        // After a restart the same state opens nothing; a new request opens one again.
        let restarted = Self.windows(in: directory, clock: clock)
        await restarted.accepted(closed)
        #expect(!Self.admits(restarted, .sync))
        var again = closed
        again.syncNow = "second"
        await restarted.accepted(again)
        #expect(Self.admits(restarted, .sync))

        // A note it cannot write (a full or read-only disk): the window still closes; after a
        // restart it would open once more, no worse.
        try FileManager.default.removeItem(atPath: directory.appending("sync-now-used"))
        try FileManager.default.createDirectory(
            atPath: directory.appending("sync-now-used"), withIntermediateDirectories: false)
        await restarted.synced(again)
        #expect(!Self.admits(restarted, .sync))
        // A note that is not one it wrote opens the window once.
        try FileManager.default.removeItem(atPath: directory.appending("sync-now-used"))
        try Data([0xFF, 0x00, 0xFE]).write(to: URL(fileURLWithPath: directory.appending("sync-now-used")))
        let third = Self.windows(in: directory, clock: clock)
        await third.accepted(again)
        #expect(Self.admits(third, .sync))
    }

    /// A zone the satellite's database lacks: the window never opens, and the report says why.
    @Test func anUnknownZoneFailsClosedAndIsReported() async throws {
        let directory = try TemporaryDirectory("link-windows")
        defer { directory.remove() }
        let gate = Self.windows(in: directory, clock: Clock())
        await gate.accepted(try Self.state(windows: ["daily 00:00-24:00 Mars/Olympus"]))
        #expect(!Self.admits(gate, .sync) && gate.untilNextOpening() == nil)
        let report = try #require(gate.report())
        #expect(!report.windowOpen && report.problems?.first?.contains("Mars/Olympus") == true)
    }
}
