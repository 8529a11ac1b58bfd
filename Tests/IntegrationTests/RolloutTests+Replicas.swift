import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

extension RolloutTests {
    /// Ground Control processes on one PostgreSQL all judge the rollout; one killed with SIGKILL
    /// mid-soak, then the other, and a new one started: the rollout carries on at its wave, and
    /// each wave is reached exactly once.
    @Test func processesKilledMidSoakLeaveEachWaveReachedOnce() async throws {
        let work = try TemporaryDirectory("rollout-replicas")
        defer { work.remove() }
        let database = try await PostgresServer.shared.makeDatabase()
        let admin = "shared-admin-token"
        let (a, b) = try await GroundControlProcess.pair(directory: work, database: database, adminToken: admin)
        defer {
            Task {
                await a.stop(); await b.stop()
            }
        }
        let headers = ["Authorization": "Bearer \(admin)"]
        func put(_ server: GroundControlProcess, _ path: String, _ body: String) async throws {
            let reply = try await httpSend("PUT", "\(server.baseURL)\(path)", headers: headers, body: Data(body.utf8))
            #expect((200..<300).contains(reply.status), "\(path): \(String(decoding: reply.body, as: UTF8.self))")
        }
        func group(_ byte: String) -> String {
            let digest = "sha256:" + String(repeating: byte, count: 32)
            let artifacts = #"[{"repository":"apps/web","digest":"\#(digest)"}]"#
            return #"{"registry":"central","artifacts":\#(artifacts),"rollout":"waves=1,2,100%;soak=3s"}"#
        }
        try await put(a, "/api/v1/registries/central", #"{"url":"http://127.0.0.1:1"}"#)
        try await put(a, "/api/v1/groups/apps", group("d1"))
        let credentials = try await SimulatedMembers.register(
            ["s1", "s2", "s3"], group: "apps", creating: a.baseURL, registering: b.baseURL, headers: headers)

        // Each member applies whatever state it is given at once, through whichever process is up.
        let servers = ServerList([a.baseURL, b.baseURL])
        let members = SimulatedMembers.apply(credentials, servers: servers)
        defer { members.cancel() }
        func rollout(_ server: GroundControlProcess) async throws -> RolloutView {
            try APIJSON.decoder().decode(
                RolloutView.self,
                from: try await httpGet("\(server.baseURL)/api/v1/rollouts/apps", headers: headers).body)
        }

        try await put(b, "/api/v1/groups/apps", group("d2"))
        try await poll("wave 1 to soak") { try await rollout(b).state == "soaking" }
        a.child.signal(SIGKILL)
        servers.remove(a.baseURL)
        try await poll("wave 2, judged by the process left", timeout: .seconds(30)) {
            let now = try await rollout(b)
            return now.wave == 2 && now.state == "soaking"
        }
        b.child.signal(SIGKILL)
        servers.remove(b.baseURL)
        let c = try await GroundControlProcess(directory: work, database: database, adminToken: admin)
        defer { Task { await c.stop() } }
        servers.add(c.baseURL)
        // Where it was, or past it when wave 2's 3 s soak ended while the new process started (a
        // slow machine): the audit below shows each wave reached once, none skipped.
        #expect(try await rollout(c).wave >= 2, "a new process takes the rollout up where it was")
        try await poll("the rollout to complete", timeout: .seconds(30)) {
            try await rollout(c).state == "completed"
        }

        let audit = try APIJSON.decoder().decode(
            [AuditEntry].self,
            from: try await httpGet("\(c.baseURL)/api/v1/audit?action=rollout.&limit=100", headers: headers).body)
        let reached = audit.filter { $0.action == "rollout.wave" }.compactMap(\.detail).sorted()
        #expect(reached.count == 2 && reached[0].hasSuffix("wave 2") && reached[1].hasSuffix("wave 3"), "\(reached)")
        #expect(audit.filter { $0.action == "rollout.complete" }.count == 1)
        let done = try await rollout(c)
        let times = done.progress.compactMap(\.reachedAt)
        #expect(times.count == 3 && times == times.sorted())
    }
}

/// The Ground Control processes a simulated member may reach, each member keeping to one.
final class ServerList: @unchecked Sendable {
    private let lock = NSLock()
    private var urls: [String]

    init(_ urls: [String]) { self.urls = urls }

    func pick(_ name: String) -> String? {
        lock.withLock { urls.isEmpty ? nil : urls[Int(UInt(bitPattern: name.hashValue) % UInt(urls.count))] }
    }

    func remove(_ url: String) { lock.withLock { urls.removeAll { $0 == url } } }

    func add(_ url: String) { lock.withLock { urls.append(url) } }
}
