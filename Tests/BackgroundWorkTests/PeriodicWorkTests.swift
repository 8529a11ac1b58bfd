import BackgroundWork
import ServiceLifecycleTestKit
import Synchronization
import TestSupport
import Testing

@Suite("Periodic work")
struct PeriodicWorkTests {
    /// Counts passes, and can hold one open until told.
    final class Passes: Sendable {
        private let state = Mutex((count: 0, running: false))
        let release = AsyncStream<Void>.makeStream()

        var count: Int { state.withLock { $0.count } }
        var running: Bool { state.withLock { $0.running } }

        func pass(holding: Bool = false) async {
            state.withLock { $0 = ($0.count + 1, true) }
            if holding {
                for await _ in release.stream { break }
            }
            state.withLock { $0.running = false }
        }
    }

    final class Flag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    @Test func aPassRunsAtOnceOnEveryTickAndSoonAfterAPoke() async throws {
        let work = PeriodicWork(every: .milliseconds(200))
        let passes = Passes()
        let loop = Task { await work.run { await passes.pass() } }
        defer { loop.cancel() }
        try await poll("the first pass, at once") { passes.count >= 1 }
        try await poll("passes on the ticks") { passes.count >= 3 }

        let slow = PeriodicWork(every: .seconds(3600))
        let poked = Passes()
        let other = Task { await slow.run(waitFirst: true) { await poked.pass() } }
        defer { other.cancel() }
        slow.poke()
        try await poll("a pass after the poke") { poked.count == 1 }
        #expect(poked.count == 1, "an hour's interval gives no pass of its own")
    }

    @Test func aGracefulShutdownLetsThePassUnderWayFinishAndStartsNoOther() async throws {
        let passes = Passes()
        try await testGracefulShutdown { trigger in
            let work = PeriodicWork(every: .milliseconds(10))
            let loop = Task { await work.run { await passes.pass(holding: passes.count == 0) } }
            try await poll("the first pass to start") { passes.running }
            trigger.triggerGracefulShutdown()
            passes.release.continuation.yield()
            await loop.value
        }
        #expect(passes.count == 1 && !passes.running)
    }

    @Test func theCancellingRunCutsThePassUnderWayShort() async throws {
        let started = Passes()
        let finished = Flag()
        try await testGracefulShutdown { trigger in
            let work = PeriodicWork(every: .seconds(3600))
            let loop = Task {
                await work.runCancellingPass {
                    await started.pass()
                    try? await Task.sleep(for: .seconds(3600))
                    if !Task.isCancelled { finished.set() }
                }
            }
            try await poll("the pass to start") { started.count == 1 }
            trigger.triggerGracefulShutdown()
            await loop.value
        }
        #expect(!finished.isSet)
    }
}
