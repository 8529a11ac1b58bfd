import Foundation
import SatelliteProtocol
import TestSupport
import Testing

extension Reliability.CrashLoopTests {
    /// Ground Control killed with SIGKILL at random moments while it delivers events: once it is
    /// left alone, the receiver has every event of every change that was acknowledged, first seen
    /// in order (a delivery cut by the kill may come twice: at least once, never lost). The
    /// receiver takes 80 ms an event, so kills land mid-delivery.
    @Test func killNineWhileEventsAreDeliveredLosesNoneAndKeepsTheirOrder() async throws {
        let python = try requireTool("python3", package: "python3")
        let work = try TemporaryDirectory("events-crash")
        defer { work.remove() }
        let port = try freePort()
        var server = try await GroundControlProcess(
            directory: work, adminToken: "admin", port: port, extraArguments: ["--event-allow-host", "127.0.0.1"])
        let secretFile = work.appending("secret")
        #expect(
            FileManager.default.createFile(
                atPath: secretFile, contents: Data("crash-loop-secret-0123".utf8),
                attributes: [.posixPermissions: 0o600]))
        let receiverPort = try freePort()
        let receiver = try ChildProcess(
            python, ["\(FleetEventsTests.scripts)/event-receiver.py", String(receiverPort), secretFile, "80"],
            logDirectory: work.path)
        defer { Task { await receiver.stop() } }
        try await poll("the receiver to listen") { receiver.output.contains("listening") }

        let admin = ["Authorization": "Bearer admin", "Content-Type": "application/json"]
        func put(_ path: String, _ json: String) async throws {
            let reply = try await httpSend("PUT", server.baseURL + path, headers: admin, body: Data(json.utf8))
            #expect((200..<300).contains(reply.status), "\(path): \(String(decoding: reply.body, as: UTF8.self))")
        }
        try await put("/api/v1/registries/central", #"{"url":"http://127.0.0.1:5000"}"#)
        try await put(
            "/api/v1/subscriptions/ops",
            #"{"url":"http://127.0.0.1:\#(receiverPort)/","secret":"crash-loop-secret-0123"}"#)

        var generator = SystemRandomNumberGenerator()
        var acknowledged = 0
        for round in 0..<6 {
            for change in 0..<5 {
                let byte = String(format: "%02x", round * 5 + change)
                try await put(
                    "/api/v1/groups/edge",
                    #"""
                    {"registry":"central","artifacts":[{"repository":"apps/web",\#
                    "digest":"sha256:\#(String(repeating: byte, count: 32))"}]}
                    """#
                )
                acknowledged += 1
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 10..<600, using: &generator)))
            server.child.signal(SIGKILL)
            _ = try await server.child.waitForExit()
            server = try await GroundControlProcess(
                directory: work, adminToken: "admin", port: port, extraArguments: ["--event-allow-host", "127.0.0.1"])
        }
        defer { Task { [server] in await server.stop() } }

        let ids = try await pollFor("every acknowledged change at the receiver", timeout: .seconds(60)) {
            () -> [Int64]? in
            let ids = receiver.output.split(separator: "\n").dropFirst().compactMap { line -> Int64? in
                guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    event["type"] as? String == "group.changed", event["valid"] as? Bool == true
                else { return nil }
                return (event["id"] as? String).flatMap { Int64($0) }
            }
            return Set(ids).count >= acknowledged ? ids : nil
        }
        var firstSeen: [Int64] = []
        for id in ids where !firstSeen.contains(id) { firstSeen.append(id) }
        #expect(firstSeen == firstSeen.sorted(), "events first seen out of order: \(firstSeen)")
        #expect(Set(ids).count == acknowledged, "\(Set(ids).count) distinct events for \(acknowledged) changes")
        print(
            """
            CrashLoopTests (events): 6 kills; \(acknowledged) changes, \(ids.count) deliveries of \
            \(Set(ids).count) events, none lost, in order
            """
        )
    }
}
