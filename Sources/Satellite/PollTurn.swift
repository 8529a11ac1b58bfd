import Synchronization

/// Lets a heartbeat go on the long-poll's connection, between two polls. Over HTTP/1.1 a
/// heartbeat sent while the poll is held needs a second connection, opened and closed again a
/// minute later; Ground Control's server pays for each connection that closes in proportion to
/// all those it holds, so a fleet at rest should hold one connection per satellite and open none.
///
/// The poll, each time it is answered, lets a waiting heartbeat go first and waits for it to
/// finish (`pollReturned`); after a new state it also waits a while for the heartbeat its sync
/// makes. A heartbeat that can wait asks for the turn and gives up after a timeout; one that
/// cannot takes it only when the poll is paused for one now (`take`).
package final class PollTurn: Sendable {
    package init() {}

    private enum Phase {
        /// Paused for a heartbeat to ask.
        case asking
        /// A heartbeat has the connection; the poll waits for it to finish.
        case granted
    }

    private struct State {
        var heartbeat: (id: Int, continuation: CheckedContinuation<Bool, Never>)?
        var poll: (id: Int, phase: Phase, continuation: CheckedContinuation<Void, Never>)?
        var next = 0
    }

    private let state = Mutex(State())

    /// The poll was answered: a heartbeat waiting goes first, else one may ask within `pause`;
    /// the poll goes on once it finished, or after `longest` at most.
    package func pollReturned(pause: Duration, longest: Duration = .seconds(60)) async {
        let id = state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
        let timer = Task { [self] in
            if pause > .zero {
                try? await Task.sleep(for: pause)
                endPoll(id, only: .asking)
            }
            try? await Task.sleep(for: longest)
            endPoll(id, only: nil)
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (granted, goOn) = state.withLock { state -> (CheckedContinuation<Bool, Never>?, Bool) in
                if let heartbeat = state.heartbeat {
                    state.heartbeat = nil
                    state.poll = (id, .granted, continuation)
                    return (heartbeat.continuation, false)
                }
                guard pause > .zero else { return (nil, true) }
                state.poll = (id, .asking, continuation)
                return (nil, false)
            }
            granted?.resume(returning: true)
            if goOn { continuation.resume() }
        }
    }

    /// The heartbeat side: true once it has the poll's connection (then call `finished`), false
    /// when `timeout` passes first; with no timeout, only if the poll is paused for one now.
    package func take(timeout: Duration) async -> Bool {
        let id: Int? = state.withLock { state in
            if let poll = state.poll, poll.phase == .asking {
                state.poll = (poll.id, .granted, poll.continuation)
                return nil
            }
            defer { state.next += 1 }
            return state.next
        }
        guard let id else { return true }
        guard timeout > .zero else { return false }
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            withdraw(id)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let (granted, displaced) = state.withLock { state -> (Bool, CheckedContinuation<Bool, Never>?) in
                    // The poll may have paused for a heartbeat meanwhile.
                    if let poll = state.poll, poll.phase == .asking {
                        state.poll = (poll.id, .granted, poll.continuation)
                        return (true, nil)
                    }
                    if Task.isCancelled { return (false, nil) }
                    defer { state.heartbeat = (id, continuation) }
                    return (false, state.heartbeat?.continuation)
                }
                displaced?.resume(returning: false)
                if granted || Task.isCancelled { continuation.resume(returning: granted) }
            }
        } onCancel: {
            withdraw(id)
        }
    }

    /// The waiting heartbeat `id` gives up.
    private func withdraw(_ id: Int) {
        let waiting = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let heartbeat = state.heartbeat, heartbeat.id == id else { return nil }
            state.heartbeat = nil
            return heartbeat.continuation
        }
        waiting?.resume(returning: false)
    }

    /// Whether a heartbeat waits for the poll to return.
    package var heartbeatWaiting: Bool { state.withLock { $0.heartbeat != nil } }

    /// The heartbeat that had the turn is done: the poll goes on.
    package func finished() {
        endPoll(nil, only: .granted)
    }

    /// Lets the paused poll (`id`, or whichever) go on, if it is in `phase` (or any).
    private func endPoll(_ id: Int?, only phase: Phase?) {
        let poll = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let poll = state.poll, id == nil || poll.id == id, phase == nil || poll.phase == phase else {
                return nil
            }
            state.poll = nil
            return poll.continuation
        }
        poll?.resume()
    }
}
