import Foundation
import TestSupport
import Testing

extension Reliability {
    /// Both servers against clients that hold connections, send heads slowly, or are answered
    /// before their bodies are read (`connection-probe.py` checks what the server holds after).
    @Suite("connection limits")
    struct ConnectionLimitsTests {
        func probe(_ arguments: [String]) async throws {
            let python = try requireTool("python3", package: "python3")
            let result = try await run(
                python, ["\(RealClientTests.scripts)/connection-probe.py"] + arguments, timeout: .seconds(120))
            #expect(result.status == 0, "\(result.output)\(result.error)")
        }

        @Test func requestsAnsweredBeforeTheirBodyEndTheirConnections() async throws {
            let satellite = try await SatelliteProcess()
            defer { Task { await satellite.cleanUp() } }
            try await probe(["early-answers", String(satellite.port), String(satellite.child.pid)])
        }

        @Test func aHeadSentSlowlyIsCutOffAtTheHeaderTimeout() async throws {
            let satellite = try await SatelliteProcess(extraArguments: ["--header-timeout", "2"])
            defer { Task { await satellite.cleanUp() } }
            try await probe(["slow-head", String(satellite.port), "2"])
        }

        @Test func idleConnectionsAndStalledBodiesAreClosedAtTheIdleTimeout() async throws {
            let satellite = try await SatelliteProcess(extraArguments: ["--idle-timeout", "2"])
            defer { Task { await satellite.cleanUp() } }
            try await probe(["idle", String(satellite.port), "2"])
        }

        @Test func connectionsBeyondTheCeilingGet503AtOnce() async throws {
            let satellite = try await SatelliteProcess(extraArguments: ["--max-connections", "8"])
            defer { Task { await satellite.cleanUp() } }
            try await probe(["ceiling", String(satellite.port), "8"])
        }

        @Test func groundControlHasTheSameLimits() async throws {
            let work = try TemporaryDirectory("ground-control-limits")
            defer { work.remove() }
            let server = try await GroundControlProcess(
                directory: work, adminToken: "admin",
                extraArguments: ["--max-connections", "8", "--header-timeout", "2"])
            defer { Task { await server.stop() } }
            let port = try require(server.baseURL.split(separator: ":").last.map(String.init), "a port")
            try await probe(["ceiling", port, "8", "/healthz"])
            try await probe(["slow-head", port, "2"])
        }
    }
}
