import Foundation
import NIOCore
import NIOHTTP1
import SatelliteProtocol

/// One simulated satellite as the agent (`GroundControlLink`) behaves on the wire, on one event
/// loop and without tasks:
/// - a long-poll on its state with the last ETag, asked again as soon as it is answered, with
///   the `?wait=` Ground Control asks for;
/// - a heartbeat on its interval; when Ground Control takes quiet ones and holds its long-poll,
///   a quiet one (the digest of the status it last sent) on the quiet interval instead, sent on
///   the long-poll's connection between two polls (`PollTurn` in the agent);
/// - a new state applied: its status changes, reported in full after a short sync, before the
///   next poll, on the same connection;
/// - a heartbeat that cannot wait for the poll goes on a connection of its own, closed after a
///   minute unused, as AsyncHTTPClient's pool does.
/// Its status never changes otherwise, so it is the fleet at rest that is measured.
final class WireSatellite: @unchecked Sendable {
    let name: String
    private let credential: String
    private let run: WireRun
    private let stats: WireStats
    private let loop: any EventLoop
    private let poll: WireConnection
    private let beat: WireConnection

    private var etag: String?
    private var generation: Int64 = 0
    private var pollWait = 60
    private var heartbeatSeconds = 30
    private var quietSeconds: Int?
    /// The status digest Ground Control holds for this satellite, from its last reply.
    private var acknowledged: String?
    /// Whether the last long-poll was answered (a quiet heartbeat counts on it for liveness).
    private var pollHeld = false
    private var pollFailures = 0
    private var nextBeat: Scheduled<Void>?
    private var idleClose: Scheduled<Void>?
    private var woke = false
    /// A heartbeat due while the long-poll is held goes when the poll returns.
    private var beatAtPollReturn = false
    /// Set at the end: the connections closed then are not failures.
    private var stopped = false

    init(name: String, credential: String, run: WireRun, stats: WireStats, loop: any EventLoop) {
        self.name = name
        self.credential = credential
        self.run = run
        self.stats = stats
        self.loop = loop
        poll = WireConnection(loop: loop)
        beat = WireConnection(loop: loop)
    }

    /// Whether a state came after the group changed.
    var sawChange: Bool { woke }

    /// Starts the first GET and the heartbeats at `start`, on the satellite's loop.
    func start(at start: NIODeadline) {
        loop.scheduleTask(deadline: start) {
            // The first heartbeat follows the first state, on its connection.
            self.beatAtPollReturn = true
            self.askState()
        }
    }

    func stop() {
        stopped = true
        nextBeat?.cancel()
        idleClose?.cancel()
        poll.close()
        beat.close()
    }

    // MARK: The state

    private func askState() {
        guard !stopped, NIODeadline.now() < run.end else { return }
        var path = "/api/v1/state"
        var headers = authorization
        if let etag {
            path += "?wait=\(min(pollWait, max(1, run.secondsLeft)))"
            headers.add(name: "If-None-Match", value: etag)
        }
        let sent = NIODeadline.now()
        let first = etag == nil
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        poll.send(head, body: nil, keepBody: false, to: run.address).whenComplete { result in
            switch result {
            case .success(let reply) where reply.status == 200:
                self.pollHeld = true
                self.pollFailures = 0
                if first { self.stats.record(.firstState, since: sent, run: self.run) }
                self.received(etag: reply.etag)
            case .success(let reply) where reply.status == 304:
                self.pollHeld = true
                self.pollFailures = 0
                self.betweenPolls()
            case .success(let reply):
                self.pollFailed("state: \(reply.status)")
            case .failure(let error):
                self.pollFailed("state: \(error)")
            }
        }
    }

    private func received(etag new: String?) {
        etag = new
        let changed = run.changeAt.map { NIODeadline.now() >= $0 } ?? false
        if changed && !woke {
            woke = true
            stats.recordWake(run: run)
        }
        if let new, let value = Int64(new.trimmingCharacters(in: CharacterSet(charactersIn: "\"W/"))) {
            generation = value
        }
        // The agent syncs the new state and reports when the sync ends, on this connection,
        // before it polls again.
        guard changed else { return betweenPolls() }
        let sync = TimeAmount.milliseconds(Int64.random(in: 500...5_000))
        loop.scheduleTask(in: sync) {
            self.nextBeat?.cancel()
            self.heartbeat(on: self.poll) { self.askState() }
        }
    }

    /// The long-poll returned: a heartbeat waiting for it goes first, then the next poll.
    private func betweenPolls() {
        guard beatAtPollReturn else { return askState() }
        beatAtPollReturn = false
        heartbeat(on: poll) { self.askState() }
    }

    private func pollFailed(_ reason: String) {
        guard !stopped else { return }
        pollHeld = false
        pollFailures += 1
        stats.fail(reason)
        poll.close()
        let delay = min(30, 1 << min(pollFailures, 5))
        loop.scheduleTask(in: .milliseconds(Int64(delay) * 1000 + Int64.random(in: 0...1000))) { self.askState() }
    }

    // MARK: Heartbeats

    private var authorization: HTTPHeaders {
        ["Authorization": "Bearer \(credential)", "Host": run.host]
    }

    private var body: ByteBuffer {
        ByteBuffer(
            string: #"{"diskFreeBytes":9000000,"diskUsedBytes":1000000,"generation":\#(generation),"#
                + #""inventory":[],"version":"sim"}"#)
    }

    /// A heartbeat due: on the long-poll's connection when the poll returns, if it is held and
    /// the heartbeat may be quiet; else now, on the heartbeat's own connection.
    private func heartbeatDue() {
        let quiet = quietSeconds != nil && pollHeld && acknowledged == QuietHeartbeat.digest(of: body.readableBytesView)
        if quiet {
            beatAtPollReturn = true
        } else {
            heartbeat(on: beat) {}
        }
    }

    private func heartbeat(on connection: WireConnection, quietAllowed: Bool = true, then next: @escaping () -> Void) {
        guard !stopped, NIODeadline.now() < run.end else { return }
        let body = self.body
        let digest = QuietHeartbeat.digest(of: body.readableBytesView)
        let quiet = quietAllowed && quietSeconds != nil && pollHeld && acknowledged == digest
        var headers = authorization
        headers.add(name: "Content-Length", value: quiet ? "0" : "\(body.readableBytes)")
        if quiet {
            headers.add(name: "If-Match", value: QuietHeartbeat.entityTag(digest))
        } else {
            headers.add(name: "Content-Type", value: "application/json")
        }
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/v1/status", headers: headers)
        let sent = NIODeadline.now()
        if connection === beat { idleClose?.cancel() }
        connection.send(head, body: quiet ? nil : body, keepBody: true, to: run.address).whenComplete { result in
            if connection === self.beat {
                self.idleClose = self.loop.scheduleTask(in: .seconds(60)) { self.beat.close() }
            }
            switch result {
            case .success(let reply) where reply.status == 200:
                self.stats.record(quiet ? .quietHeartbeat : .heartbeat, since: sent, run: self.run)
                self.adopt(reply.body)
                self.scheduleBeat(in: .seconds(Int64(self.interval)))
                next()
            case .success(let reply) where reply.status == 412 && quiet:
                // Ground Control holds another status (a restart, another process): in full now.
                self.acknowledged = nil
                self.heartbeat(on: connection, quietAllowed: false, then: next)
            case .success(let reply):
                self.stats.fail("heartbeat: \(reply.status)")
                self.scheduleBeat(in: .seconds(Int64(self.heartbeatSeconds)))
                next()
            case .failure where self.stopped:
                return
            case .failure(let error):
                self.stats.fail("heartbeat: \(error)")
                connection.close()
                self.scheduleBeat(in: .seconds(Int64(self.heartbeatSeconds)))
                next()
            }
        }
    }

    /// The interval until the next heartbeat: the quiet one while it may be quiet.
    private var interval: Int {
        guard let quietSeconds, pollHeld, acknowledged == QuietHeartbeat.digest(of: body.readableBytesView) else {
            return heartbeatSeconds
        }
        return quietSeconds
    }

    private func scheduleBeat(in delay: TimeAmount) {
        nextBeat?.cancel()
        nextBeat = loop.scheduleTask(in: delay) { self.heartbeatDue() }
    }

    private func adopt(_ body: ByteBuffer?) {
        guard let body, let reply = try? APIJSON.decoder().decode(StatusReply.self, from: Data(body.readableBytesView))
        else { return }
        heartbeatSeconds = max(1, reply.settings.heartbeatIntervalSeconds)
        quietSeconds = reply.quietIntervalSeconds
        if let wait = reply.pollWaitSeconds { pollWait = max(1, wait) }
        acknowledged = reply.statusDigest
    }
}
