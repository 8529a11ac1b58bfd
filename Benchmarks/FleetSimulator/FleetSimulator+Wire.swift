import ArgumentParser
import Foundation
import GroundControlClient
import NIOCore
import NIOPosix

/// `--wire`: this process's satellites as the agent behaves on the wire, without AsyncHTTPClient
/// (`WireSatellite`), on one timeline shared with other simulator processes through files.
/// `scripts/bench/fleet.sh` starts several: each registers its slice, writes `--ready-file`,
/// and waits for `--go-file`, which names the instants (seconds since 1970, one line):
/// `START CHANGE MEASURE_FROM MEASURE_UNTIL END`.
struct WireOptions: ParsableArguments {
    @Flag(name: .customLong("wire"), help: "Satellites on raw HTTP/1.1 connections, timed by --go-file.")
    var enabled = false
    @Flag(name: .customLong("prepare-only"), help: "Create the registry and the group, then stop.")
    var prepareOnly = false
    @Option(name: .customLong("first-index"), help: "The number of this process's first satellite.")
    var firstIndex = 0
    @Option(name: .customLong("ready-file"), help: "Written once this process's satellites are registered.")
    var readyFile: String?
    @Option(name: .customLong("go-file"), help: "Read for the timeline (see above).")
    var goFile: String?
    @Option(help: "Where the raw samples go, for fleet.sh to merge.")
    var samples: String?
    @Flag(help: "This process changes the group at CHANGE.")
    var change = false
    @Option(help: "Seconds over which the satellites' first requests spread.")
    var spread = 30.0
    @Option(help: "Event-loop threads.")
    var loops = 1
}

extension FleetSimulator {
    func simulateWire(_ client: GroundControlClient, group: String, satellites all: [Simulated]) async throws {
        guard let goFile = wire.goFile else { throw ValidationError("--wire needs --go-file") }
        if let ready = wire.readyFile { try Data("\(all.count)\n".utf8).write(to: URL(fileURLWithPath: ready)) }
        let instants = try await Self.timeline(goFile)
        guard let components = URLComponents(string: url), let host = components.host,
            components.scheme == "http"
        else { throw ValidationError("--wire needs an http:// --url") }
        let port = components.port ?? 80
        let run = WireRun(
            address: try SocketAddress.makeAddressResolvingHost(host, port: port), host: "\(host):\(port)",
            changeAt: WireRun.deadline(epoch: instants[1]),
            measured: WireRun.deadline(epoch: instants[2])..<WireRun.deadline(epoch: instants[3]),
            end: WireRun.deadline(epoch: instants[4]))
        let start = WireRun.deadline(epoch: instants[0])

        let threads = MultiThreadedEventLoopGroup(numberOfThreads: max(1, wire.loops))
        let loops = Array(threads.makeIterator())
        let stats = loops.map { _ in WireStats() }
        var placed: [[WireSatellite]] = loops.map { _ in [] }
        for (index, satellite) in all.enumerated() {
            let slot = index % loops.count
            let simulated = WireSatellite(
                name: satellite.name, credential: satellite.credential ?? "", run: run, stats: stats[slot],
                loop: loops[slot])
            placed[slot].append(simulated)
            let offset = wire.spread * Double(index) / Double(max(1, all.count))
            simulated.start(at: start + .nanoseconds(Int64(offset * 1e9)))
        }
        let changeTask = Task {
            guard wire.change else { return }
            try await Task.sleep(for: .seconds(instants[1] - Date().timeIntervalSince1970))
            let admin = ["Authorization": "Bearer \(adminToken)"]
            try await client.expect(200..<201, "PUT", "/api/v1/groups/\(group)", admin, Self.group(version: 1))
            print("changed the group")
        }
        try await Task.sleep(for: .seconds(max(0, instants[4] - Date().timeIntervalSince1970)))
        try await changeTask.value

        // Each loop stops its satellites and counts those the change did not reach.
        var missed = 0
        for (slot, loop) in loops.enumerated() {
            let satellites = placed[slot]
            missed += try await loop.submit {
                satellites.forEach { $0.stop() }
                return satellites.filter { !$0.sawChange }.count
            }.get()
        }
        let total = WireStats()
        for part in stats { total.merge(part) }
        print(total.summary(missed: missed))
        if let path = wire.samples {
            try Data(total.samplesText(missed: missed).utf8).write(to: URL(fileURLWithPath: path))
        }
        try await threads.shutdownGracefully()
    }

    /// The five instants of the go file, once fleet.sh has written it (within an hour).
    static func timeline(_ path: String) async throws -> [Double] {
        let deadline = Date().addingTimeInterval(3600)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") {
                let instants = text.split(separator: " ").compactMap {
                    Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
                }
                guard instants.count == 5 else { throw ValidationError("\(path): five instants, not '\(text)'") }
                return instants
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("no \(path) within an hour")
    }
}
