import Foundation
import OCI
import RegistryStore
import TestSupport
import Testing

extension Reliability {
    /// `satellite run` killed with SIGKILL at random moments while it syncs, prunes and collects
    /// garbage (each restart brings a different state, so every pass removes what the last one
    /// brought), with the store checked as each kill left it.
    @Suite("crash loop")
    struct CrashLoopTests {
        @Test func killNineDuringSyncAndGarbageCollectionNeverBreaksTheStore() async throws {
            try await withUpstream { work, images, upstream in
                try await upstream.push(layout: images.layout, name: "big", to: "apps/big:v1")
                try await upstream.push(layout: images.layout, name: "multi", to: "apps/multi:v1")
                try await upstream.push(layout: images.layout, name: "first", to: "apps/app:first")
                try await upstream.push(layout: images.layout, name: "second", to: "apps/app:second")
                let states = [
                    stateYAML(
                        generation: 1, upstream: upstream,
                        artifacts: ["repository: apps/big\ntag: v1", "repository: apps/app\ntag: first"]),
                    stateYAML(
                        generation: 2, upstream: upstream,
                        artifacts: ["repository: apps/multi\ntag: v1", "repository: apps/app\ntag: second"]),
                ]
                let directory = try TemporaryDirectory("crash-loop")
                defer { directory.remove() }
                let arguments = [
                    "--gc-interval", "1", "--gc-grace", "1", "--bandwidth-limit", "8M", "--sync-interval", "1",
                ]
                var generator = SystemRandomNumberGenerator()
                var kills = 0, collecting = 0
                for round in 0..<8 {
                    try Data(states[round % 2].utf8).write(to: URL(fileURLWithPath: directory.appending("state.yaml")))
                    let agent = try await SatelliteAgent(state: nil, directory: directory, arguments: arguments)
                    if round >= 4 && collecting == 0 {
                        // Random kills all came before a collection: this one waits for one, so a
                        // kill during or just after collecting is always among them.
                        _ = try await pollFor("a garbage collection", timeout: .seconds(60)) {
                            agent.child.errorOutput.contains("garbage collected") ? true : nil
                        }
                    }
                    try await Task.sleep(for: .milliseconds(Int.random(in: 100..<2500, using: &generator)))
                    agent.child.signal(SIGKILL)
                    _ = try await agent.child.waitForExit()
                    kills += 1
                    if agent.child.errorOutput.contains("garbage collected") { collecting += 1 }
                    let inspection = try StoreInspection.inspect(directory: agent.dataDirectory)
                    #expect(inspection.problems.isEmpty, "after kill \(kills): \(inspection.problems.prefix(5))")
                }
                // Left alone, it finishes the last state and serves every byte of it.
                try Data(states[1].utf8).write(to: URL(fileURLWithPath: directory.appending("state.yaml")))
                let agent = try await SatelliteAgent(state: nil, directory: directory, arguments: arguments)
                defer { agent.child.signal(SIGKILL) }
                try await agent.waitForStatus("the last state after \(kills) kills", timeout: .seconds(120)) {
                    $0.allSynced && $0.lastSync?.generation == 2
                }
                for blob in try images.blobs(of: images.second) {
                    let reply = try await httpGet("\(agent.baseURL)/v2/apps/app/blobs/\(blob.digest)")
                    #expect(DigestHasher.digest(of: [UInt8](reply.body)) == blob.digest)
                }
                // Garbage collection ran (and removed something) in some of the killed runs.
                #expect(collecting > 0, "no killed run collected garbage")
                print(
                    """
                    CrashLoopTests: \(kills) kills, \(collecting) of them in runs that had collected garbage; the \
                    store sound after each
                    """
                )
            }
        }

        /// SIGKILL while clients pull through and the cache budget evicts (a budget far below
        /// what they pull, no minimum age): after every kill the store is sound, and left alone
        /// the agent pulls the images through whole.
        @Test func killNineDuringPullThroughAndEvictionNeverBreaksTheStore() async throws {
            let skopeo = try requireTool("skopeo", package: "skopeo")
            try await withUpstream { work, images, upstream in
                try await upstream.push(layout: images.layout, name: "big", to: "library/big:1")
                try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
                let state = proxyStateYAML(upstream: upstream)
                let directory = try TemporaryDirectory("crash-loop-proxy")
                defer { directory.remove() }
                try Data(state.utf8).write(to: URL(fileURLWithPath: directory.appending("state.yaml")))
                var generator = SystemRandomNumberGenerator()
                var evicting = 0
                for round in 0..<6 {
                    let agent = try await SatelliteAgent(
                        state: nil, directory: directory,
                        arguments: ["--cache-max-bytes", "1M", "--cache-min-age", "0"])
                    let clients = ["library/big:1", "library/app:1"].enumerated().map { index, reference in
                        Task {
                            _ = try? await run(
                                skopeo,
                                [
                                    "copy", "--src-tls-verify=false", "docker://\(agent.host)/\(reference)",
                                    "oci:\(work.appending("pull-\(round)-\(index)")):x",
                                ], timeout: .seconds(60))
                        }
                    }
                    try await Task.sleep(for: .milliseconds(Int.random(in: 300..<2500, using: &generator)))
                    agent.child.signal(SIGKILL)
                    _ = try await agent.child.waitForExit()
                    for client in clients { await client.value }
                    if agent.child.errorOutput.contains("evicted pulled-through content") { evicting += 1 }
                    // A pulled-through tag may lack blobs no client asked for yet: a cache holds
                    // manifests before their blobs. Rows and files must still agree.
                    let inspection = try StoreInspection.inspect(directory: agent.dataDirectory)
                    let broken = inspection.rowsWithoutFiles + inspection.corruptFiles
                    #expect(broken.isEmpty, "after kill \(round + 1): \(broken.prefix(5))")
                }
                #expect(evicting > 0, "no killed run evicted anything")
                let agent = try await SatelliteAgent(
                    state: nil, directory: directory, arguments: ["--cache-max-bytes", "1G"])
                defer { agent.child.signal(SIGKILL) }
                _ = try await runChecked(
                    skopeo,
                    [
                        "copy", "--src-tls-verify=false", "docker://\(agent.host)/library/big:1",
                        "oci:\(work.appending("final")):x",
                    ])
                for blob in try images.blobs(of: images.big) {
                    let reply = try await httpGet("\(agent.baseURL)/v2/library/big/blobs/\(blob.digest)")
                    #expect(DigestHasher.digest(of: [UInt8](reply.body)) == blob.digest)
                }
                print(
                    """
                    CrashLoopTests: 6 kills during pull-through, \(evicting) of them in runs that had evicted; the \
                    store sound after each
                    """
                )
            }
        }
    }
}
