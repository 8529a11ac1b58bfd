import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

/// A satellite of this release with a Ground Control of the last one (issue 30): behind a proxy
/// that speaks only what release 0.2.0's protocol documents define (`older-ground-control.py`),
/// the satellite never sends a quiet heartbeat or asks another long-poll wait, and stays online.
/// The other way round, a satellite of 0.2.0 with this Ground Control, is
/// `OlderSatelliteTests` (GroundControlTests).
@Suite("Protocol compatibility") struct ProtocolCompatibilityTests {
    static let release = "0.2.0"
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/protocol-\(release)/openapi.json").path

    @Test func aSatelliteKeepsToTheProtocolOfAnOlderGroundControl() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/small:1")
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            defer { Task { await server.stop() } }
            try await defineGroup(server, upstream: upstream, work: work, artifacts: ["apps/small:1"])
            let token = try await createSatellite(
                server, "s1", options: ["--group", "edge", "--heartbeat-interval", "1"])
            let older = try await OlderGroundControl(in: work, upstream: server.baseURL)
            defer { Task { await older.stop() } }
            let agent = try await SatelliteAgent(state: nil, source: ["--ground-control", older.url, "--token", token])
            defer { agent.terminate() }
            try await agent.waitForStatus("the first sync") { $0.allSynced }

            let requests = try await pollFor("five heartbeats and a long-poll", timeout: .seconds(60)) {
                let requests = try older.requests()
                let beats = requests.filter { $0.path == "/api/v1/status" }.count
                let polls = requests.filter { $0.path == "/api/v1/state" && !$0.query.isEmpty }.count
                return beats >= 5 && polls >= 1 ? requests : nil
            }
            for request in requests where request.path == "/api/v1/status" {
                #expect(request.ifMatch == nil && request.bodyLength > 0, "a heartbeat in full: \(request)")
            }
            for request in requests where request.path == "/api/v1/state" && !request.query.isEmpty {
                #expect(request.query == "wait=60", "the satellite's own wait: \(request)")
            }
            let shown = try await satctl(server, token: "admin", ["satellites", "show", "s1", "--output", "json"])
            let view = try APIJSON.decoder().decode(SatelliteView.self, from: Data(shown.utf8))
            #expect(view.state == "online" && view.appliedGeneration == view.desiredGeneration)
        }
    }
}

/// `older-ground-control.py` on a free port in front of `upstream`, logging every request.
struct OlderGroundControl: Sendable {
    struct Request: Decodable, CustomStringConvertible {
        let method: String
        let path: String
        let query: String
        let ifMatch: String?
        let bodyLength: Int

        var description: String { "\(method) \(path)?\(query) If-Match: \(ifMatch ?? "-"), \(bodyLength) bytes" }
    }

    let child: ChildProcess
    let url: String
    let log: String

    init(in work: TemporaryDirectory, upstream: String) async throws {
        let port = try freePort()
        log = work.appending("older-ground-control.log")
        child = try ChildProcess(
            try requireTool("python3", package: "python3"),
            [
                "\(RealClientTests.scripts)/older-ground-control.py", String(port), upstream,
                ProtocolCompatibilityTests.document, log,
            ], logDirectory: work.path)
        url = "http://127.0.0.1:\(port)"
        let child = child
        let url = url
        try await poll("the older Ground Control to answer") {
            guard child.isRunning else {
                throw TestSupportError("older-ground-control.py exited: \(child.errorOutput)")
            }
            return (try? await httpGet(url + "/healthz"))?.status == 200
        }
    }

    /// Every request so far, in order.
    func requests() throws -> [Request] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    func stop() async { await child.stop() }
}
