import Foundation
import Logging
import OCI
import RegistryServer
import Satellite
import SatelliteProtocol
import Synchronization
import TestSupport
import Testing

/// The demand counts on a clock the test moves: split by the state's upstreams, summed per
/// repository and tag or digest, bounded, reported most asked first, kept across restarts (and a
/// file that is not theirs), forgotten after 30 days.
@Suite struct DemandRecorderTests {
    final class Clock: Sendable {
        let now = Mutex(Date(timeIntervalSince1970: 1_796_000_000))
        func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
    }

    static func recorder(_ directory: TemporaryDirectory, _ clock: Clock) -> DemandRecorder {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return DemandRecorder(
            directory: DataDirectory(directory.path), logger: logger, clock: { clock.now.withLock { $0 } })
    }

    static func asked(
        _ repository: String, _ reference: String, _ outcome: UnheldManifest.Outcome, host: String? = nil
    ) throws -> UnheldManifest {
        UnheldManifest(
            repository: try RepositoryName(repository), reference: try Reference(reference), unknownHost: host,
            outcome: outcome)
    }

    static let state = DesiredState(
        generation: 1, upstreams: [.init(name: "central", url: "http://127.0.0.1:1")], artifacts: [])

    @Test func countsPerUpstreamRepositoryAndReferenceMostAskedFirst() async throws {
        let directory = try TemporaryDirectory("demand")
        defer { directory.remove() }
        let clock = Clock()
        let recorder = Self.recorder(directory, clock)
        await recorder.accepted(Self.state)
        let digest = "sha256:" + String(repeating: "c", count: 64)
        for outcome in [UnheldManifest.Outcome.fetched, .deferred, .unavailable, .denied, .notFound, .notFound] {
            recorder.asked(try Self.asked("central/library/alpine", "3.20", outcome))
            clock.advance(1)
        }
        recorder.asked(try Self.asked("central/library/alpine", digest, .notFound))
        recorder.asked(try Self.asked("library/nginx", "1", .notFound, host: "ghcr.io"))
        recorder.asked(try Self.asked("elsewhere/app", "1", .denied))

        let report = try #require(recorder.report())
        #expect(report.omitted == nil)
        let first = try #require(report.entries.first)
        #expect(first.upstream == "central" && first.repository == "library/alpine" && first.tag == "3.20")
        #expect((first.misses, first.denied, first.notFound) == (3, 1, 2))
        #expect(first.lastAskedAt == Date(timeIntervalSince1970: 1_796_000_005))
        #expect(report.entries.contains { $0.digest == digest && $0.tag == nil && $0.notFound == 1 })
        #expect(
            report.entries.contains { $0.host == "ghcr.io" && $0.upstream == nil && $0.repository == "library/nginx" })
        #expect(
            report.entries.contains { $0.upstream == nil && $0.repository == "elsewhere/app" },
            "a first part that is no upstream of the state stays in the name")
    }

    @Test func boundedReportedAtMostAHundredKeptAcrossRestartsForgottenAfterThirtyDays() async throws {
        let directory = try TemporaryDirectory("demand")
        defer { directory.remove() }
        let clock = Clock()
        let recorder = Self.recorder(directory, clock)
        await recorder.accepted(Self.state)
        for index in 0..<(DemandRecorder.maxEntries + 5) {
            recorder.asked(try Self.asked("central/apps/app\(index)", "1", .notFound))
            clock.advance(1)
        }
        let report = try #require(recorder.report())
        #expect(report.entries.count == DemandReport.reportedEntries)
        #expect(report.omitted == DemandRecorder.maxEntries - DemandReport.reportedEntries)
        #expect(
            report.entries.first?.repository == "apps/app\(DemandRecorder.maxEntries + 4)",
            "asked for as often: the latest first")
        #expect(!report.entries.contains { $0.repository == "apps/app0" }, "the oldest gave way")

        recorder.save()
        let restarted = Self.recorder(directory, clock)
        #expect(restarted.report() == report, "the counts survive a restart")

        clock.advance(DemandRecorder.forgetAfter + 10)
        #expect(restarted.report() == nil, "nobody asked for them in 30 days")
    }

    @Test func aWriteThatFailsIsMadeAgainAtTheNextTick() async throws {
        let directory = try TemporaryDirectory("demand")
        defer { directory.remove() }
        let clock = Clock()
        let recorder = Self.recorder(directory, clock)
        recorder.asked(try Self.asked("central/apps/web", "1", .notFound))
        // The file's place is taken (as a full disk or a read-only directory refuses it).
        let file = directory.appending("demand.json")
        try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: false)
        recorder.save()
        try FileManager.default.removeItem(atPath: file)
        recorder.save()
        #expect(Self.recorder(directory, clock).report()?.entries.first?.repository == "central/apps/web")
    }

    @Test func aFileThatIsNotTheirsStartsTheCountsAnew() async throws {
        let directory = try TemporaryDirectory("demand")
        defer { directory.remove() }
        var generator = SeededGenerator(seed: 28)
        let clock = Clock()
        let valid = Self.recorder(directory, clock)
        valid.asked(try Self.asked("central/apps/web", "1", .notFound))
        valid.save()
        let file = directory.appending("demand.json")
        let original = try #require(FileManager.default.contents(atPath: file))
        for round in 0..<300 {
            var bytes = [UInt8](original)
            switch round % 3 {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
            case 1:
                for _ in 0..<4 {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = .random(in: 0...255, using: &generator)
                }
            default: bytes = (0..<64).map { _ in .random(in: 0...255, using: &generator) }
            }
            #expect(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
            let recorder = Self.recorder(directory, clock)
            recorder.asked(try Self.asked("central/apps/web", "2", .notFound))
            #expect(recorder.report() != nil, "round \(round): it counts on")
        }
    }
}
