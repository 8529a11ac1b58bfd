import ArgumentParser
import FleetAPI
import Foundation
import GroundControlClient
import SatelliteProtocol
import Synchronization

/// `--rollout POLICY`: the satellites apply every state they are given at once, as a satellite
/// that holds the content would, and report it; the group changes once, and its rollout is
/// followed to the end. Prints, per wave, how long after its gate held (every member before it
/// applied, plus the soak) its first member had the change, and the server's CPU per step.
extension FleetSimulator {
    func simulateRollout(
        _ client: GroundControlClient, group: String, policy: String, satellites all: [Simulated]
    ) async throws {
        let admin = ["Authorization": "Bearer \(adminToken)"]
        let applied = Applied()
        let members = Task {
            await withTaskGroup(of: Void.self) { tasks in
                for satellite in all {
                    let polls = satellite.client(client)
                    tasks.addTask { await self.apply(polls, satellite.credential, satellite.name, applied) }
                }
            }
        }
        // Everyone on the first state before the change.
        while applied.count(atLeast: 1) < all.count { try await Task.sleep(for: .milliseconds(100)) }
        let before = applied.highest
        let cpuAtStart = serverPID.flatMap(Self.cpuSeconds)
        let changed = Date()
        _ = try await client.expect(
            200..<201, "PUT", "/api/v1/groups/\(group)", admin, Self.group(version: 1, rollout: policy))
        var rollout: RolloutView?
        while Date().timeIntervalSince(changed) < 300 {
            let reply = try await client.expect(200..<201, "GET", "/api/v1/rollouts/\(group)", admin, nil)
            let seen = try APIJSON.decoder().decode(RolloutView.self, from: reply.body)
            rollout = seen
            if ["completed", "failed", "aborted"].contains(seen.state) { break }
            // Seldom: each look at the rollout reads every member's row, and would be measured too.
            try await Task.sleep(for: .seconds(1))
        }
        let finished = Date()
        let cpu = cpuAtStart.flatMap { start in serverPID.flatMap(Self.cpuSeconds).map { $0 - start } }
        members.cancel()
        guard let rollout, rollout.state == "completed" else {
            throw ValidationError("the rollout did not complete: \(String(describing: rollout))")
        }
        let soak = try RolloutPolicy(policy).soakSeconds
        var delays: [Double] = []
        for (index, wave) in rollout.progress.enumerated() where index > 0 {
            // Its gate: the last member of the waves before it to apply the new state, plus the soak.
            let ahead = rollout.progress[..<index].flatMap(\.members)
            // Reached: when its first member had the new state in hand (the API's times are whole
            // seconds), so the figure includes the long-poll's wake-up.
            guard let last = applied.latest(of: ahead, above: before),
                let reached = applied.earliest(of: wave.members, above: before)
            else { continue }
            let delay = reached.timeIntervalSince(last) - Double(soak)
            delays.append(delay)
            print(
                "wave \(wave.wave): \(wave.members.count) members, reached \(String(format: "%.2f", delay)) s after its gate held"
            )
        }
        let steps = rollout.progress.count
        print(
            "rollout: satellites=\(all.count) waves=\(steps) soak_s=\(soak) seconds=\(String(format: "%.1f", finished.timeIntervalSince(changed))) gate_to_wave_max_s=\(String(format: "%.2f", delays.max() ?? 0)) server_cpu_s=\(cpu.map { String(format: "%.2f", $0) } ?? "?") server_cpu_per_step_s=\(cpu.map { String(format: "%.3f", $0 / Double(steps)) } ?? "?")"
        )
    }

    /// Long-polls the satellite's state and reports each new generation as applied at once.
    private func apply(_ client: GroundControlClient, _ credential: String?, _ name: String, _ applied: Applied) async {
        var etag: String?
        while !Task.isCancelled {
            var headers: [String: String] = [:]
            if let etag { headers["If-None-Match"] = etag }
            guard
                let reply = try? await client.send(
                    "GET", "/api/v1/state" + (etag == nil ? "" : "?wait=25"), bearer: credential, headers: headers,
                    timeout: .seconds(60))
            else { continue }
            guard reply.status == 200, let state = try? APIJSON.decoder().decode(DesiredState.self, from: reply.body)
            else { continue }
            etag = reply.headers["etag"]
            let report = StatusReport(
                generation: state.generation, inventory: state.artifacts.compactMap(\.digest),
                lastSync: SyncResult(succeeded: true, finishedAt: Date()))
            if (try? await client.send("POST", "/api/v1/status", bearer: credential, json: report))?.status == 200 {
                applied.record(name: name, generation: state.generation)
            }
        }
    }
}

/// When each simulated satellite applied which generation.
final class Applied: Sendable {
    private let entries = Mutex<[String: (generation: Int64, at: Date)]>([:])

    /// The first time it reported `generation`.
    func record(name: String, generation: Int64) {
        entries.withLock { entries in
            if let known = entries[name], known.generation >= generation { return }
            entries[name] = (generation, Date())
        }
    }

    func count(atLeast generation: Int64) -> Int {
        entries.withLock { $0.values.filter { $0.generation >= generation }.count }
    }

    var highest: Int64 { entries.withLock { $0.values.map(\.generation).max() ?? 0 } }

    /// When the first of `names` applied a generation above `generation`.
    func earliest(of names: [String], above generation: Int64) -> Date? {
        entries.withLock { entries in
            names.compactMap { entries[$0] }.filter { $0.generation > generation }.map(\.at).min()
        }
    }

    /// When the last of `names` applied a generation above `generation`.
    func latest(of names: [String], above generation: Int64) -> Date? {
        entries.withLock { entries in
            let times = names.compactMap { entries[$0] }.filter { $0.generation > generation }.map(\.at)
            return times.count == names.count ? times.max() : nil
        }
    }
}
