import Satellite
import Synchronization
import TestSupport
import Testing

/// Heartbeats on the long-poll's connection, between polls (issue 30).
@Suite struct PollTurnTests {
    @Test func aWaitingHeartbeatGoesWhenThePollReturnsAndThePollWaitsForIt() async throws {
        let turn = PollTurn()
        let order = Mutex<[String]>([])
        async let heartbeat: Bool = {
            let granted = await turn.take(timeout: .seconds(30))
            order.withLock { $0.append("heartbeat") }
            turn.finished()
            return granted
        }()
        try await poll("the heartbeat to wait for the poll") { turn.heartbeatWaiting }
        await turn.pollReturned(pause: .zero)
        order.withLock { $0.append("next poll") }
        #expect(await heartbeat)
        #expect(order.withLock { $0 } == ["heartbeat", "next poll"])
    }

    @Test func anUrgentHeartbeatTakesTheConnectionOnlyWhileThePollWaitsForOne() async throws {
        let turn = PollTurn()
        #expect(await turn.take(timeout: .zero) == false, "the poll is held: a connection of its own")
        async let paused: Void = turn.pollReturned(pause: .seconds(30))
        try await poll("the poll to pause for a heartbeat") { await turn.take(timeout: .zero) }
        turn.finished()
        await paused
    }

    @Test func aPauseNobodyUsesEndsAndAHeartbeatNobodyServesGivesUp() async throws {
        let turn = PollTurn()
        let started = ContinuousClock.now
        await turn.pollReturned(pause: .milliseconds(200))
        #expect(ContinuousClock.now - started >= .milliseconds(200))
        #expect(await turn.take(timeout: .milliseconds(200)) == false)
        // A cancelled wait gives up at once.
        let waiting = Task { await turn.take(timeout: .seconds(60)) }
        waiting.cancel()
        #expect(await waiting.value == false)
    }
}
