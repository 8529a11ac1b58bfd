import Foundation
import Logging
import OCI
import RegistryStore
import Replication
import SatelliteProtocol
import StateContent
import TestSupport
import Testing

/// Rate limiting and server errors: `throttling-proxy.py` stands in for a registry that answers
/// 429 (with Retry-After) and 503 before serving, in front of a real docker-registry.
@Suite(.serialized) struct RetryTests {
    @Test func retriesAfter429HonouringRetryAfterAndAfter503() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/app:v1")
            let python = try requireTool("python3", package: "python3")
            let proxy = try ChildProcess(
                python, ["\(RealClientTests.scripts)/throttling-proxy.py", String(upstream.port)],
                logDirectory: work.path)
            defer { proxy.signal(SIGKILL) }
            try await poll("the proxy to listen") { proxy.output.hasPrefix("port ") }
            let port = try require(
                proxy.output.split(separator: "\n").first?.split(separator: " ").last, "no proxy port")

            var logger = Logger(label: "test")
            logger.logLevel = .warning
            let replicator = Replicator(
                store: try RegistryStore(directory: work.appending("store"), logger: logger), logger: logger)
            let report = await replicator.sync(
                DesiredState(
                    generation: 1,
                    upstreams: [
                        .init(
                            name: "central", url: "http://127.0.0.1:\(port)", username: UpstreamRegistry.username,
                            password: UpstreamRegistry.password)
                    ],
                    artifacts: [
                        .init(upstream: "central", repository: try RepositoryName("apps/app"), tag: try Tag("v1"))
                    ]))
            await replicator.shutdown()
            #expect(report.succeeded, "\(report.artifacts)")

            // "<time> <status> <method> <path>": the 429, the 503, then the same request served.
            let lines = proxy.output.split(separator: "\n").dropFirst().map { $0.split(separator: " ") }
            #expect(lines.count >= 3)
            #expect(lines.first?[1] == "429")
            #expect(lines.dropFirst().first?[1] == "503")
            if let throttled = lines.first.flatMap({ Double($0[0]) }),
                let next = lines.dropFirst().first.flatMap({ Double($0[0]) })
            {
                #expect(next - throttled >= 0.9, "retried \(next - throttled) s after a Retry-After of 1 s")
            }
        }
    }
}
