import ArgumentParser
import AsyncHTTPClient
import FleetAPI
import FleetIdentity
import Foundation
import GroundControlClient
import NIOPosix
import NIOSSL
import SatelliteProtocol
import Synchronization
import X509

/// Many simulated satellites against one Ground Control: each registers, heartbeats every
/// `--heartbeat-seconds` (spread evenly), and holds a `?wait=` long-poll open on its state; half-way
/// through, an admin changes their group and every long-poll must wake. Prints rates, latency
/// percentiles and the server's RSS. A benchmark, not a test.
@main
struct FleetSimulator: AsyncParsableCommand {
    @Option var url: String
    @Option(name: .customLong("admin-token")) var adminToken: String
    @Option var satellites = 10_000
    @Option(name: .customLong("heartbeat-seconds")) var heartbeatSeconds = 30.0
    @Option(help: "Seconds of steady load after setup.") var duration = 60.0
    @Option(name: .customLong("long-polls"), help: "Satellites that also long-poll (default: all).") var longPolls: Int?
    @Option(name: .customLong("server-pid"), help: "Ground Control's pid, to report its RSS.") var serverPID: Int32?
    @Option(help: "Prefix of the names this run creates.") var prefix = "sim"
    @Option(help: "PEM certificates to trust for an https --url.") var ca: String?
    @Option(
        name: .customLong("warm-up"),
        help: "Seconds of load before measuring (one heartbeat interval opens every satellite's connection).")
    var warmUp = 0.0
    @Flag(help: "Each satellite enrols with a key of its own and authenticates with its certificate, not a bearer.")
    var mtls = false
    @Option(help: "Instead of the steady load: the group under this rollout policy changes once, followed to the end.")
    var rollout: String?
    @OptionGroup var wire: WireOptions

    func run() async throws {
        // Each satellite holds up to two connections: its long-poll and a heartbeat's.
        try FileDescriptorBudget.require(connections: 2 * satellites, what: "\(satellites) satellites")
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = satellites + 512
        configuration.timeout.connect = .seconds(30)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        // Heartbeats get their own client thread: real satellites are separate machines, and
        // queued behind ten thousand long-poll replies in one client they would measure the simulator.
        let heartbeatThreads = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let heartbeatHTTP = HTTPClient(eventLoopGroupProvider: .shared(heartbeatThreads), configuration: configuration)
        do {
            let trust = try ca.map(GroundControlClient.trusting(caFile:))
            try await simulate(
                GroundControlClient(baseURL: url, http: http, tls: trust),
                heartbeats: GroundControlClient(baseURL: url, http: heartbeatHTTP, tls: trust))
        } catch {
            try? await http.shutdown()
            try? await heartbeatHTTP.shutdown()
            throw error
        }
        try await http.shutdown()
        try await heartbeatHTTP.shutdown()
        try await heartbeatThreads.shutdownGracefully()
    }

    private func simulate(_ client: GroundControlClient, heartbeats: GroundControlClient) async throws {
        let admin = ["Authorization": "Bearer \(adminToken)"]

        // Setup: one registry, one group of pinned images, the satellites registered.
        let group = "\(prefix)-edge"
        if !wire.enabled || wire.prepareOnly {
            try await client.expect(
                200..<300, "PUT", "/api/v1/registries/\(prefix)-central", admin, #"{"url":"http://127.0.0.1:1"}"#)
            try await client.expect(
                200..<300, "PUT", "/api/v1/groups/\(group)", admin, Self.group(version: 0, rollout: rollout))
            if wire.prepareOnly { return }
        }
        let setupStarted = ContinuousClock.now
        let all = try await register(client, group: group)
        let setup = ContinuousClock.now - setupStarted
        print(
            "setup: \(satellites) satellites created and registered\(mtls ? " with certificates" : "") in \(Self.seconds(setup)) s"
        )
        if wire.enabled {
            try await simulateWire(client, group: group, satellites: all)
            return
        }
        if let rollout {
            try await simulateRollout(client, group: group, policy: rollout, satellites: all)
            return
        }
        try await steadyLoad(client, heartbeats: heartbeats, group: group, satellites: all)
    }

    /// Creates this process's satellites a thousand per request, then registers them 32 at a time.
    private func register(_ client: GroundControlClient, group: String) async throws -> [Simulated] {
        let admin = ["Authorization": "Bearer \(adminToken)"]
        let credentials = Mutex<[Simulated]>([])
        let first = wire.firstIndex
        var tokens: [Int: String] = [:]
        // Ground Control's most per request.
        let batchLimit = 1000
        for start in stride(from: first, to: first + satellites, by: batchLimit) {
            let indices = start..<min(start + batchLimit, first + satellites)
            let batch = SatelliteBatch(
                satellites: indices.map { SatelliteDefinition(name: "\(prefix)-\($0)", groups: [group]) })
            let created = try await client.expect(
                201..<202, "POST", "/api/v1/satellites/batch", admin,
                String(decoding: try APIJSON.encoder().encode(batch), as: UTF8.self))
            let made = try APIJSON.decoder().decode(RegistrationTokens.self, from: created.body).tokens
            for (index, token) in zip(indices, made) { tokens[index] = token.token }
        }
        try await forEach(first..<first + satellites, concurrency: 32) { [tokens] index in
            guard let token = tokens[index] else { throw ValidationError("no token for satellite \(index)") }
            let key = mtls ? DeviceKey() : nil
            let request = RegistrationRequest(token: token, csr: try key?.request(for: nil))
            let registered = try await client.expect(
                200..<201, "POST", "/api/v1/register", [:],
                String(decoding: try APIJSON.encoder().encode(request), as: UTF8.self))
            let registration = try APIJSON.decoder().decode(RegistrationResponse.self, from: registered.body)
            var simulated = Simulated(credential: registration.credential, tls: try client.tls.map(Self.ownConnection))
            if let key, let certificate = registration.certificate {
                let identity = try ClientIdentity(
                    key: key, chain: try Certificate.all(inPEM: certificate, what: "certificate"))
                simulated = Simulated(
                    tls: try (client.tls ?? .makeClientConfiguration()).presenting(
                        chainDER: try identity.chainDER, privateKeyPEM: try key.pem))
            }
            simulated.name = "\(prefix)-\(index)"
            credentials.withLock { $0.append(simulated) }
        }
        return credentials.withLock { $0 }
    }

    private func steadyLoad(
        _ client: GroundControlClient, heartbeats: GroundControlClient, group: String, satellites all: [Simulated]
    ) async throws {
        let admin = ["Authorization": "Bearer \(adminToken)"]
        // Steady load: heartbeats and long-polls until the end; one group change half-way.
        let warming = Stats()
        let pollers = min(longPolls ?? satellites, satellites)
        let loadStarted = ContinuousClock.now
        let started = loadStarted + .seconds(warmUp)
        let end = started + .seconds(duration)
        if warmUp > 0 {
            // Connections are opened (and TLS handshakes made) while warming, then kept alive.
            await withTaskGroup(of: Void.self) { tasks in
                for (index, satellite) in all.enumerated() {
                    let offset = min(warmUp, heartbeatSeconds) * Double(index) / Double(all.count)
                    let beats = satellite.client(heartbeats)
                    tasks.addTask {
                        await self.heartbeat(
                            beats, satellite.credential, firstAt: loadStarted + .seconds(offset), until: started,
                            warming)
                    }
                }
            }
            print("warm-up: \(warming.total) requests in \(warmUp) s, not measured")
        }
        let stats = Stats()
        let cpuAtStart = serverPID.flatMap(Self.cpuSeconds)
        await withTaskGroup(of: Void.self) { tasks in
            for (index, satellite) in all.enumerated() {
                let offset = heartbeatSeconds * Double(index) / Double(all.count)
                let beats = satellite.client(heartbeats)
                tasks.addTask {
                    await self.heartbeat(
                        beats, satellite.credential, firstAt: started + .seconds(offset), until: end, stats)
                }
                if index < pollers {
                    // Satellites start at different moments: the first GETs spread like the heartbeats.
                    let polls = satellite.client(client)
                    tasks.addTask {
                        await self.longPoll(
                            polls, satellite.credential, from: started + .seconds(offset), until: end, stats)
                    }
                }
            }
            tasks.addTask {
                try? await Task.sleep(until: started + .seconds(duration / 2))
                stats.markChange()
                _ = try? await client.expect(200..<201, "PUT", "/api/v1/groups/\(group)", admin, Self.group(version: 1))
            }
        }
        let elapsed = Self.seconds(ContinuousClock.now - started)
        stats.report(elapsed: elapsed, heartbeatSeconds: heartbeatSeconds, satellites: satellites, pollers: pollers)
        if let serverPID {
            print("server RSS: \(Self.rss(serverPID))")
            // Less noisy than latency on a shared machine: what the server spent on the load.
            if let cpuAtStart, let cpuAtEnd = Self.cpuSeconds(serverPID) {
                print("server CPU during the load: \(String(format: "%.2f", cpuAtEnd - cpuAtStart)) s in \(elapsed) s")
            }
        }
        // The server's own view: its request-duration histogram, without the client's queueing.
        if let metrics = try? await client.send("GET", "/metrics") {
            let text = String(decoding: metrics.body, as: UTF8.self)
            print(Self.serverSide(text, route: "/api/v1/status", method: "POST", label: "heartbeat"))
            // Long-polls share the route and wait by design: what counts is how many of the
            // first GETs (one per satellite, answered at once) the server answered in time.
            print(Self.serverSide(text, route: "/api/v1/state", method: "GET", label: "state GETs", counts: true))
        }

        try await forEach(0..<satellites, concurrency: 32) { index in
            _ = try await client.expect(200..<300, "DELETE", "/api/v1/satellites/\(prefix)-\(index)", admin, nil)
        }
    }

    /// Heartbeats on schedule; latency is measured from when each was due.
    /// Over HTTPS each satellite has a connection of its own, as separate machines have, whether it
    /// presents a certificate or not. AsyncHTTPClient pools connections by TLS configuration, so a
    /// bearer satellite's is made its own with a trust root that nothing is signed by.
    static func ownConnection(_ base: TLSConfiguration) throws -> TLSConfiguration {
        let unused = try CertificateAuthority.make(trustDomain: "unused.invalid", now: Date())
        var tls = base
        tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMBytes(Array(try unused.bundlePEM.utf8)))]
        return tls
    }

    private func heartbeat(
        _ client: GroundControlClient, _ credential: String?, firstAt: ContinuousClock.Instant,
        until end: ContinuousClock.Instant, _ stats: Stats
    ) async {
        var due = firstAt
        let body = #"{"generation":1,"inventory":[],"diskUsedBytes":1000000,"diskFreeBytes":9000000,"version":"sim"}"#
        while due < end {
            try? await Task.sleep(until: due)
            let sent = ContinuousClock.now
            stats.counted()
            let ok: Bool
            do {
                let reply = try await client.send("POST", "/api/v1/status", bearer: credential, body: Data(body.utf8))
                ok = reply.status == 200
                if !ok { stats.note("\(reply.status) \(reply.errorMessage)") }
            } catch {
                ok = false
                stats.note("\(error)")
            }
            stats.record(.heartbeat, ContinuousClock.now - sent, ok: ok)
            due = due + .seconds(heartbeatSeconds)
        }
    }

    /// Long-polls with the last ETag; records how fast each poll wakes after the group change.
    private func longPoll(
        _ client: GroundControlClient, _ credential: String?, from start: ContinuousClock.Instant,
        until end: ContinuousClock.Instant,
        _ stats: Stats
    ) async {
        try? await Task.sleep(until: start)
        var etag: String?
        let bearer = credential.map { ["Authorization": "Bearer \($0)"] } ?? [:]
        while ContinuousClock.now < end {
            let wait = max(1, min(25, Int((end - ContinuousClock.now).components.seconds)))
            var headers = bearer
            if let etag { headers["If-None-Match"] = etag }
            let sent = ContinuousClock.now
            stats.counted()
            guard
                let reply = try? await client.send(
                    "GET", "/api/v1/state" + (etag == nil ? "" : "?wait=\(wait)"), headers: headers,
                    timeout: .seconds(120))
            else {
                stats.record(.state, .zero, ok: false)
                continue
            }
            if etag == nil {
                stats.record(.state, ContinuousClock.now - sent, ok: reply.status == 200)
            } else if reply.status == 200, let changed = stats.changedAt {
                stats.record(.wake, ContinuousClock.now - changed, ok: true)
            }
            if reply.status == 200 { etag = reply.headers["etag"] }
        }
    }

    static func group(version: Int, rollout: String? = nil) -> String {
        let artifacts = (0..<5).map { index in
            #"{"repository":"apps/app\#(index)","digest":"sha256:\#(String(format: "%064x", version * 10 + index))"}"#
        }
        let policy = rollout.map { #","rollout":"\#($0)""# } ?? ""
        return #"{"registry":"sim-central","artifacts":[\#(artifacts.joined(separator: ","))]\#(policy)}"#
    }

    /// What share of a route's requests the server answered within 10, 50 and 100 ms.
    static func serverSide(
        _ metrics: String, route: String, method: String, label: String, counts: Bool = false
    ) -> String {
        var buckets: [String: Double] = [:]
        var count = 0.0
        for line in metrics.split(separator: "\n")
        where line.contains("route=\"\(route)\"") && line.contains("method=\"\(method)\"") {
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            if line.hasPrefix("ground_control_request_duration_seconds_count") { count = value }
            if line.hasPrefix("ground_control_request_duration_seconds_bucket"), let range = line.range(of: "le=\"") {
                let bound = line[range.upperBound...].prefix { $0 != "\"" }
                buckets[String(bound)] = value
            }
        }
        guard count > 0 else { return "server side, \(label): no data" }
        let share = { (bound: String) in
            counts ? String(Int(buckets[bound] ?? 0)) : String(format: "%.2f%%", 100 * (buckets[bound] ?? 0) / count)
        }
        return
            "server side, \(label): \(Int(count)) answered; within 10 ms \(share("0.01")), 50 ms \(share("0.05")), 100 ms \(share("0.1"))"
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    /// User and system CPU time of the process so far (`/proc/PID/stat` fields 14 and 15).
    static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / (ticks > 0 ? ticks : 100)
    }

    static func rss(_ pid: Int32) -> String {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return "unknown" }
        return status.split(separator: "\n").filter { $0.hasPrefix("VmRSS") || $0.hasPrefix("VmHWM") }
            .map { $0.replacingOccurrences(of: "\t", with: "").replacingOccurrences(of: "  ", with: "") }.joined(
                separator: ", ")
    }
}

/// Runs `body` for each element, `concurrency` at a time.
func forEach(_ range: Range<Int>, concurrency: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws
{
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = range.lowerBound
        while next < range.upperBound && next - range.lowerBound < concurrency {
            let index = next
            group.addTask { try await body(index) }
            next += 1
        }
        while try await group.next() != nil {
            if next < range.upperBound {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
        }
    }
}

/// A simulated satellite: its credential, or its certificate presented on every request.
struct Simulated: Sendable {
    /// Its name in Ground Control (the list is in the order registrations finished).
    var name = ""
    var credential: String?
    var tls: TLSConfiguration?

    init(credential: String? = nil, tls: TLSConfiguration? = nil) {
        self.credential = credential
        self.tls = tls
    }

    /// `shared` presenting this satellite's certificate, when it has one.
    func client(_ shared: GroundControlClient) -> GroundControlClient {
        var client = shared
        if let tls { client.tls = tls }
        return client
    }
}

extension GroundControlClient {
    /// `send`, failing unless the status is in `statuses`.
    @discardableResult
    func expect(
        _ statuses: Range<Int>, _ method: String, _ path: String, _ headers: [String: String], _ body: String?
    ) async throws -> Reply {
        let reply = try await send(
            method, path, headers: headers, body: body.map { Data($0.utf8) }, timeout: .seconds(120))
        guard statuses.contains(reply.status) else {
            throw ValidationError("\(method) \(path) answered \(reply.status): \(reply.errorMessage)")
        }
        return reply
    }
}

/// Latencies by kind, in milliseconds.
final class Stats: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        case heartbeat = "heartbeat"
        case state = "state, first GET"
        case wake = "long-poll wake after change"
    }

    private let samples = Mutex<[Kind: [Double]]>([:])
    private let failures = Mutex<[Kind: Int]>([:])
    private let change = Mutex<ContinuousClock.Instant?>(nil)
    private let requests = Atomic<Int>(0)
    /// The first few distinct reasons requests failed, to print with the figures.
    private let reasons = Mutex<[String: Int]>([:])

    func note(_ reason: String) {
        reasons.withLock { reasons in
            if reasons[reason] != nil || reasons.count < 5 { reasons[reason, default: 0] += 1 }
        }
    }

    var total: Int { requests.load(ordering: .relaxed) }

    /// Counts every request of the load phase, whatever its answer.
    func counted() { requests.add(1, ordering: .relaxed) }

    /// When the admin changed the group (long-poll wake-ups are measured from it).
    var changedAt: ContinuousClock.Instant? { change.withLock { $0 } }

    func markChange() { change.withLock { $0 = .now } }

    func record(_ kind: Kind, _ latency: Duration, ok: Bool) {
        if !ok {
            failures.withLock { $0[kind, default: 0] += 1 }
            return
        }
        let milliseconds = Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15
        samples.withLock { $0[kind, default: []].append(milliseconds) }
    }

    func report(elapsed: String, heartbeatSeconds: Double, satellites: Int, pollers: Int) {
        let all = samples.withLock { $0 }
        let failed = failures.withLock { $0 }
        let total = requests.load(ordering: .relaxed)
        for (reason, count) in reasons.withLock({ $0 }) { print("failed \(count)×: \(reason.prefix(300))") }
        print("requests: \(total) in \(elapsed) s, \(String(format: "%.0f", Double(total) / (Double(elapsed) ?? 1)))/s")
        print(
            "load: \(satellites) satellites, heartbeat every \(heartbeatSeconds) s (target \(String(format: "%.0f", Double(satellites) / heartbeatSeconds))/s), \(pollers) long-polls, \(elapsed) s"
        )
        for kind in Kind.allCases {
            let values = (all[kind] ?? []).sorted()
            guard !values.isEmpty else {
                print("\(kind.rawValue): none (\(failed[kind] ?? 0) failed)")
                continue
            }
            func percentile(_ p: Double) -> String {
                String(format: "%.1f", values[min(values.count - 1, Int(Double(values.count) * p))])
            }
            let rate =
                kind == .heartbeat ? String(format: ", %.0f/s", Double(values.count) / (Double(elapsed) ?? 1)) : ""
            print(
                "\(kind.rawValue): \(values.count) ok, \(failed[kind] ?? 0) failed\(rate); ms p50 \(percentile(0.5)) p90 \(percentile(0.9)) p99 \(percentile(0.99)) max \(percentile(1))"
            )
        }
    }
}
