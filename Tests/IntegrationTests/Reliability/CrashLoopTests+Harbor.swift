import Foundation
import SatelliteProtocol
import TestSupport
import Testing

extension Reliability.CrashLoopTests {
    /// Ground Control killed with SIGKILL at random moments while its robot keeper makes, refreshes
    /// and deletes robots in a Harbor: once it is left alone, Harbor holds exactly one robot per
    /// registered satellite, each the one its state names and able to pull, and no robot of a
    /// revoked satellite (a robot made but never recorded is found by name and replaced).
    @Test func killNineWhileRobotsAreManagedLeavesExactlyTheRightRobots() async throws {
        try await HarborRobotsTests.withHarbor("harbor-crash", images: ["app1"], pushes: [("app1", "proj/app:v1")]) {
            fleet, _, digests in
            try await fleet.satctl([
                "groups", "put", "edge", "--registry", "central", "--artifact", "proj/app:v1@\(digests["app1"] ?? "")",
            ])
            var auth: [String: [String: String]] = [:]
            for index in 0..<6 {
                auth["edge-\(index)"] = try await fleet.register("edge-\(index)", groups: ["edge"])
            }
            let port = try #require(URL(string: fleet.server.baseURL)?.port)
            var server = fleet.server
            var generator = SystemRandomNumberGenerator()
            var revoked: Set<String> = []
            // Each round changes something robots follow, then kills Ground Control soon after.
            let changes: [[String]] = [
                ["satellites", "rotate", "edge-0"], ["satellites", "revoke", "edge-1"],
                ["satellites", "rotate", "edge-2"],
                ["satellites", "delete", "edge-3"], ["satellites", "rotate", "edge-0"],
                ["satellites", "remove-group", "edge-4", "edge"],
            ]
            for change in changes {
                try await fleet.satctl(change)
                if change[1] != "rotate" { revoked.insert(change[2]) }
                try await Task.sleep(for: .milliseconds(Int.random(in: 20..<1200, using: &generator)))
                server.child.signal(SIGKILL)
                _ = try await server.child.waitForExit()
                server = try await GroundControlProcess(
                    directory: fleet.work, adminToken: "admin", port: port,
                    extraArguments: ["--robot-interval", "1", "--resolve-interval", "2"])
            }
            defer { Task { [server] in await server.stop() } }

            let kept = auth.keys.filter { !revoked.contains($0) }.sorted()
            // Heartbeats confirm each state, so refreshed robots' old slots can go too.
            // What the last look saw, for the message when the wait runs out.
            var seen = "nothing yet"
            defer { print("CrashLoopTests (Harbor robots): last seen \(seen)") }
            let states = try await pollFor("one robot per kept satellite, none for the others", timeout: .seconds(60)) {
                () -> [String: DesiredState]? in
                var states: [String: DesiredState] = [:]
                for name in kept {
                    let reply = try await httpGet("\(server.baseURL)/api/v1/state", headers: auth[name] ?? [:])
                    guard reply.status == 200 else {
                        seen = "\(name)'s state: status \(reply.status)"
                        return nil
                    }
                    let state = try APIJSON.decoder().decode(DesiredState.self, from: reply.body)
                    _ = try await httpSend(
                        "POST", "\(server.baseURL)/api/v1/status",
                        headers: (auth[name] ?? [:]).merging(["Content-Type": "application/json"]) { $1 },
                        body: try APIJSON.encoder().encode(StatusReport(generation: state.generation, inventory: [])))
                    states[name] = state
                }
                let named = Set(states.values.compactMap { $0.upstreams.first?.username })
                let held = try await fleet.harbor.robots().map(\.name)
                seen = "states name \(named.sorted()); Harbor holds \(held.sorted())"
                return named.count == kept.count && Set(held) == named && held.count == named.count ? states : nil
            }
            for (name, state) in states {
                let upstream = try #require(state.upstreams.first)
                #expect(
                    try await fleet.harbor.canPull(
                        "proj/app", tag: "v1", username: upstream.username ?? "", password: upstream.password ?? ""),
                    "\(name)'s robot cannot pull")
            }
            print(
                """
                CrashLoopTests (Harbor robots): \(changes.count) kills; \(kept.count) robots left, one per kept \
                satellite
                """
            )
        }
    }
}
