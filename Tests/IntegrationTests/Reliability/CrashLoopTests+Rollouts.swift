import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

extension Reliability.CrashLoopTests {
    /// Ground Control killed with SIGKILL at random moments while it judges a rollout of five
    /// members (simulated: each applies whatever state it is given at once). Restarted each time
    /// on the same database, it carries on: every wave is reached exactly once and in order, the
    /// rollout completes, and no member's generation ever falls.
    @Test func killNineWhileARolloutIsJudgedReachesEachWaveOnce() async throws {
        let work = try TemporaryDirectory("rollout-crash")
        defer { work.remove() }
        let port = try freePort()
        var server = try await GroundControlProcess(directory: work, adminToken: "admin", port: port)
        let admin = ["Authorization": "Bearer admin", "Content-Type": "application/json"]
        let baseURL = server.baseURL
        func put(_ path: String, _ json: String) async throws {
            let reply = try await httpSend("PUT", baseURL + path, headers: admin, body: Data(json.utf8))
            #expect((200..<300).contains(reply.status), "\(path): \(String(decoding: reply.body, as: UTF8.self))")
        }
        func group(_ byte: String) -> String {
            let digest = "sha256:" + String(repeating: byte, count: 32)
            return #"""
                {"registry":"central","artifacts":[{"repository":"apps/web","digest":"\#(digest)"}],\#
                "rollout":"waves=1,2,3,4,100%;soak=1s"}
                """#
        }
        try await put("/api/v1/registries/central", #"{"url":"http://127.0.0.1:1"}"#)
        try await put("/api/v1/groups/apps", group("d1"))
        let credentials = try await SimulatedMembers.register(
            ["s1", "s2", "s3", "s4", "s5"], group: "apps", creating: baseURL, registering: baseURL, headers: admin)
        let generations = GenerationLog()
        let members = SimulatedMembers.apply(
            credentials, servers: ServerList([baseURL]), pause: .milliseconds(100), log: generations)
        defer { members.cancel() }

        try await put("/api/v1/groups/apps", group("d2"))
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        func rollout() async throws -> RolloutView? {
            guard let reply = try? await httpGet("\(baseURL)/api/v1/rollouts/apps", headers: admin) else { return nil }
            return try? APIJSON.decoder().decode(RolloutView.self, from: reply.body)
        }
        while kills < 8, try await rollout()?.state != "completed" {
            try await Task.sleep(for: .milliseconds(Int.random(in: 50..<900, using: &generator)))
            server.child.signal(SIGKILL)
            _ = try await server.child.waitForExit()
            kills += 1
            server = try await GroundControlProcess(directory: work, adminToken: "admin", port: port)
        }
        defer { Task { [server] in await server.stop() } }
        let done = try await pollFor("the rollout to complete", timeout: .seconds(60)) { () -> RolloutView? in
            let now = try await rollout()
            return now?.state == "completed" ? now : nil
        }
        let audit = try APIJSON.decoder().decode(
            [AuditEntry].self,
            from: try await httpGet("\(baseURL)/api/v1/audit?action=rollout.&limit=100", headers: admin).body)
        let reached = audit.filter { $0.action == "rollout.wave" }.compactMap(\.detail).sorted()
        #expect(reached.map { String($0.suffix(6)) } == ["wave 2", "wave 3", "wave 4", "wave 5"], "\(reached)")
        #expect(audit.filter { $0.action == "rollout.complete" }.count == 1)
        let times = done.progress.compactMap(\.reachedAt)
        #expect(times.count == 5 && times == times.sorted())
        #expect(generations.fell.isEmpty, "generations fell: \(generations.fell)")
        print("CrashLoopTests (rollouts): \(kills) kills; waves reached once each: \(reached.count + 1)")
    }
}
