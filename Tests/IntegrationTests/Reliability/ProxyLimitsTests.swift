import Foundation
import TestSupport
import Testing

extension Reliability {
    /// The HTTPS proxy against hostile and careless clients (`proxy-probe.py`, raw sockets): it
    /// answers or closes, never holds what it should not, and keeps serving the registry.
    @Suite("HTTPS proxy limits")
    struct ProxyLimitsTests {
        func probe(_ arguments: [String], timeout: Duration = .seconds(180)) async throws -> String {
            let python = try requireTool("python3", package: "python3")
            let result = try await run(
                python, ["\(RealClientTests.scripts)/proxy-probe.py"] + arguments, timeout: timeout)
            #expect(result.status == 0, "\(result.output)\(result.error)")
            return result.output
        }

        /// An agent in front of a TLS upstream on loopback (served here, so never tunnelled).
        func withProxy(
            arguments: [String] = [], pass: [String] = [], wan: ShapedWAN? = nil,
            _ body: (HTTPSProxyTests.ProxiedAgent, UpstreamRegistry) async throws -> Void
        ) async throws {
            let work = try TemporaryDirectory("proxy-limits")
            defer { work.remove() }
            let upstream = try await UpstreamRegistry(tls: true)
            defer { Task { await upstream.cleanUp() } }
            let proxied = try await HTTPSProxyTests.ProxiedAgent(
                upstream: upstream, pass: pass, arguments: arguments, work: work)
            defer { proxied.agent.terminate() }
            try await body(proxied, upstream)
        }

        @Test func malformedAndRefusedHeadsAreAnsweredAndTheRegistryStillServed() async throws {
            try await withProxy { proxied, upstream in
                let output = try await probe([
                    "fuzz", String(proxied.proxyPort), String(proxied.agent.child.pid), FuzzTests.seed, "1500",
                    upstream.host, proxied.caFile,
                ])
                print("ProxyLimitsTests (fuzz, seed \(FuzzTests.seed)): \(output.split(separator: "\n").first ?? "")")
                #expect(proxied.agent.child.isRunning)
            }
        }

        @Test func twoThousandIdleTunnelsDoNotStopTheRegistryAndAreReleased() async throws {
            let python = try requireTool("python3", package: "python3")
            let wan = try #require(try await ShapedWAN.make(), "network namespaces are needed for a tunnel's far end")
            defer { wan.remove() }
            let echoPort = try freePort()
            let work = try TemporaryDirectory("proxy-echo")
            defer { work.remove() }
            let echo = try ChildProcess(
                wan.ip,
                [
                    "netns", "exec", wan.namespace, python, "\(RealClientTests.scripts)/proxy-probe.py",
                    "echo-server", wan.farAddress, String(echoPort),
                ], logDirectory: work.path)
            defer { Task { await echo.stop() } }
            try await poll("the echo server in the namespace") {
                guard echo.isRunning else { throw TestSupportError("echo server exited: \(echo.errorOutput)") }
                return echo.output.contains("listening")
            }
            try await withProxy(pass: ["\(wan.farAddress):\(echoPort)"]) { proxied, upstream in
                let output = try await probe([
                    "idle-tunnels", String(proxied.proxyPort), String(proxied.agent.child.pid), "2000",
                    "\(wan.farAddress):\(echoPort)", upstream.host, proxied.caFile,
                ])
                print("ProxyLimitsTests: \(output.split(separator: "\n").first ?? "")")
            }
        }

        @Test func aHeadSentSlowlyIsCutOffAndConnectionsBeyondTheCeilingGet503() async throws {
            try await withProxy(arguments: ["--header-timeout", "2", "--max-connections", "8"]) { proxied, _ in
                let python = try requireTool("python3", package: "python3")
                let slow = try await run(
                    python,
                    ["\(RealClientTests.scripts)/connection-probe.py", "slow-head", String(proxied.proxyPort), "2"],
                    timeout: .seconds(60))
                #expect(slow.status == 0, "\(slow.output)\(slow.error)")
                _ = try await probe(["ceiling", String(proxied.proxyPort), "8"])
            }
        }
    }
}
