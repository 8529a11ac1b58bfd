import Foundation
import TestSupport
import Testing

/// A stop does not wait for a sync: with its upstream accepting connections and never answering
/// (a sync would hang until the 20 s response timeout), SIGTERM ends the satellite in seconds,
/// cleanly, and the sync cut short is not reported as failed.
@Suite("Graceful stop") struct GracefulStopTests {
    @Test func sigtermDuringAHangingSyncEndsTheSatelliteInSeconds() async throws {
        let python = try requireTool("python3", package: "python3")
        let work = try TemporaryDirectory("graceful-stop")
        defer { work.remove() }
        let silent = try ChildProcess(
            python,
            [
                "-c",
                """
                import socket
                s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
                print("port", s.getsockname()[1], flush=True)
                held = []
                while True:
                    c, _ = s.accept(); held.append(c); print("accepted", flush=True)
                """,
            ], logDirectory: work.path)
        defer { silent.signal(SIGKILL) }
        let port = try await pollFor("the silent upstream to listen") { () -> Int? in
            silent.output.split(separator: "\n").first { $0.hasPrefix("port ") }?.split(separator: " ").last
                .flatMap { Int($0) }
        }
        let state = """
            schemaVersion: 1
            generation: 1
            upstreams:
              - name: central
                url: http://127.0.0.1:\(port)
            artifacts:
              - upstream: central
                repository: apps/web
                tag: "1"
            """
        let agent = try await SatelliteAgent(state: state)
        defer { agent.terminate() }
        try await poll("the sync to ask the silent upstream") { silent.output.contains("accepted") }
        let asked = ContinuousClock.now
        agent.child.signal(SIGTERM)
        let status = try await agent.child.waitForExit(timeout: .seconds(10))
        let took = ContinuousClock.now - asked
        #expect(status == 0, "\(agent.child.errorOutput.suffix(2000))")
        #expect(took < .seconds(8), "the stop took \(took)")
        let reported = try await agent.status()
        #expect(reported.lastSync == nil, "a sync cut short is not reported")
    }
}
