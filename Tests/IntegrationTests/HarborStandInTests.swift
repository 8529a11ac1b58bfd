import Foundation
import TestSupport
import Testing

/// The Harbor stand-in itself, against what Harbor's handlers do (issue 25.2): a lenient
/// stand-in hid that Harbor ignores the secret sent on create, so satellites would never have
/// pulled from a real Harbor. Each test names the handler whose behaviour it holds the stand-in to.
@Suite struct HarborStandInTests {
    static let admin =
        "Basic " + Data("\(HarborStandIn.admin):\(HarborStandIn.adminPassword)".utf8).base64EncodedString()

    static func call(
        _ harbor: HarborStandIn, _ method: String, _ path: String, _ json: String? = nil,
        as authorization: String = admin
    ) async throws -> (status: Int, body: [String: Any], text: String) {
        let reply = try await httpSend(
            method, "\(harbor.url)/api/v2.0\(path)",
            headers: ["Authorization": authorization, "Content-Type": "application/json"],
            body: json.map { Data($0.utf8) })
        let text = String(decoding: reply.body, as: UTF8.self)
        return (reply.status, (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:], text)
    }

    static func basic(_ name: String, _ secret: String) -> String {
        "Basic " + Data("\(name):\(secret)".utf8).base64EncodedString()
    }

    static let pull = #"[{"kind":"project","namespace":"proj","access":[{"resource":"repository","action":"pull"}]}]"#

    static func withHarbor(robotPrefix: String? = nil, _ body: (HarborStandIn) async throws -> Void) async throws {
        let harbor = try await HarborStandIn(robotPrefix: robotPrefix)
        do {
            #expect(try await call(harbor, "POST", "/projects", #"{"project_name":"proj"}"#).status == 201)
            try await body(harbor)
        } catch {
            await harbor.cleanUp()
            throw error
        }
        await harbor.cleanUp()
    }

    /// controller/robot/controller.go Create: the secret is Harbor's own; one sent is ignored.
    /// handler/robot.go RefreshSec: a given secret is taken, if strong enough, and answered as "".
    @Test func theSecretSentOnCreateIsIgnoredAndOnlyRefreshSecSetsOne() async throws {
        try await Self.withHarbor { harbor in
            let created = try await Self.call(
                harbor, "POST", "/robots",
                #"{"name":"edge","level":"system","duration":30,"secret":"Chosen1secret","permissions":\#(Self.pull)}"#)
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.body["id"] as? Int)
            let answered = try #require(created.body["secret"] as? String)
            #expect(answered != "Chosen1secret")
            #expect(
                try await Self.call(harbor, "GET", "/ping", as: Self.basic("robot$edge", "Chosen1secret")).status == 401
            )
            #expect(
                try await Self.call(harbor, "GET", "/robots/\(id)", as: Self.basic("robot$edge", answered)).status
                    == 403, "a live robot, without robot:read")

            for weak in ["short1A", "nouppercase1", "NOLOWERCASE1", "NoDigitsHere"] {
                #expect(
                    try await Self.call(harbor, "PATCH", "/robots/\(id)", #"{"secret":"\#(weak)"}"#).status == 400,
                    "\(weak)")
            }
            let refreshed = try await Self.call(harbor, "PATCH", "/robots/\(id)", #"{"secret":"Chosen1secret"}"#)
            #expect(refreshed.status == 200 && refreshed.body["secret"] as? String == "")
            let ping = try await httpSend(
                "GET", "\(harbor.url)/v2/", headers: ["Authorization": Self.basic("robot$edge", "Chosen1secret")])
            #expect(ping.status == 200, "the refreshed secret logs in")
        }
    }

    /// handler/robot.go updateV2Robot: the name must be the shown one and the level unchanged;
    /// a new duration counts from the robot's creation; absent `disable` is false.
    @Test func anUpdateMustRepeatTheShownNameAndADurationCountsFromCreation() async throws {
        try await Self.withHarbor(robotPrefix: "bot-") { harbor in
            let created = try await Self.call(
                harbor, "POST", "/robots",
                #"{"name":"edge","level":"system","duration":30,"permissions":\#(Self.pull)}"#)
            #expect(
                created.body["name"] as? String == "bot-edge", "the robot_name_prefix setting names it: \(created.text)"
            )
            let id = try #require(created.body["id"] as? Int)
            let expires = try #require(created.body["expires_at"] as? Int)
            for name in ["edge", "robot$edge"] {
                let refused = try await Self.call(
                    harbor, "PUT", "/robots/\(id)",
                    #"{"name":"\#(name)","level":"system","duration":30,"permissions":\#(Self.pull)}"#)
                #expect(
                    refused.status == 400 && refused.text.contains("cannot update the level or name"),
                    "\(name): \(refused.text)")
            }
            let otherLevel = try await Self.call(
                harbor, "PUT", "/robots/\(id)",
                #"{"name":"bot-edge","level":"project","duration":30,"permissions":\#(Self.pull)}"#)
            #expect(otherLevel.status == 400)
            let longer = try await Self.call(
                harbor, "PUT", "/robots/\(id)",
                #"{"name":"bot-edge","level":"system","duration":40,"permissions":\#(Self.pull)}"#)
            #expect(longer.status == 200, "\(longer.text)")
            let shown = try await Self.call(harbor, "GET", "/robots/\(id)")
            #expect(
                shown.body["expires_at"] as? Int == expires + 10 * 86400, "forty days from the creation, not from now")
            #expect(shown.body["secret"] == nil && shown.body["name"] as? String == "bot-edge")
            // The list filters on the name as kept, and answers with the prefix.
            let listed = try await httpSend(
                "GET", "\(harbor.url)/api/v2.0/robots?q=name%3Dedge", headers: ["Authorization": Self.admin])
            let robots = try #require(try JSONSerialization.jsonObject(with: listed.body) as? [[String: Any]])
            #expect(robots.compactMap { $0["name"] as? String } == ["bot-edge"])
        }
    }

    /// controller.go toScope, under the transaction middleware: a permission on a project Harbor
    /// lacks is 404 and leaves no robot; handler/robot.go validateName and validate refuse with 400.
    /// Listings: a missing project is 404, a missing repository an empty page.
    @Test func aMissingProjectOrABadRequestLeavesNoRobot() async throws {
        try await Self.withHarbor { harbor in
            let missing =
                #"[{"kind":"project","namespace":"nosuch","access":[{"resource":"repository","action":"pull"}]}]"#
            let refused = try await Self.call(
                harbor, "POST", "/robots", #"{"name":"edge","level":"system","duration":30,"permissions":\#(missing)}"#)
            #expect(refused.status == 404, "\(refused.text)")
            for bad in [
                #"{"name":"Edge","level":"system","duration":30,"permissions":\#(Self.pull)}"#,
                #"{"name":"a+b","level":"system","duration":30,"permissions":\#(Self.pull)}"#,
                #"{"name":"edge","level":"system","duration":0,"permissions":\#(Self.pull)}"#,
                #"{"name":"edge","level":"global","duration":30,"permissions":\#(Self.pull)}"#,
                #"{"name":"edge","level":"system","duration":30,"permissions":[]}"#,
            ] {
                #expect(try await Self.call(harbor, "POST", "/robots", bad).status == 400, "\(bad)")
            }
            #expect(try await harbor.robots().isEmpty)
            #expect(try await Self.call(harbor, "GET", "/projects/nosuch").status == 404)
            #expect(try await Self.call(harbor, "GET", "/projects/proj").status == 200)
            // artifact.go ListArtifacts: the repository only filters the query.
            let none = try await Self.call(harbor, "GET", "/projects/proj/repositories/none/artifacts")
            #expect(none.status == 200 && none.text == "[]", "\(none.text)")
            #expect(try await Self.call(harbor, "GET", "/projects/nosuch/repositories/none/artifacts").status == 404)
        }
    }

    /// handler/robot.go CreateRobot, isValidPermissionScope: a robot creating robots grants only
    /// what it holds itself, project by project or on all projects ("*").
    @Test func aRobotCreatesOnlyRobotsWithinItsOwnPermissions() async throws {
        try await Self.withHarbor { harbor in
            let manager = #"""
                {"name":"gc","level":"system","duration":-1,"permissions":[
                  {"kind":"system","namespace":"/","access":[{"resource":"robot","action":"create"},\#
                  {"resource":"robot","action":"read"},{"resource":"robot","action":"list"}]},
                  {"kind":"project","namespace":"*","access":[{"resource":"repository","action":"pull"}]}]}
                """#
            let created = try await Self.call(harbor, "POST", "/robots", manager)
            let gc = Self.basic("robot$gc", try #require(created.body["secret"] as? String))
            let within = try await Self.call(
                harbor, "POST", "/robots",
                #"{"name":"edge","level":"system","duration":30,"permissions":\#(Self.pull)}"#, as: gc)
            #expect(within.status == 201, "\(within.text)")
            let beyond =
                #"""
                [{"kind":"project","namespace":"proj","access":[{"resource":"repository","action":"pull"},\#
                {"resource":"artifact","action":"read"}]}]
                """#
            let refused = try await Self.call(
                harbor, "POST", "/robots", #"{"name":"more","level":"system","duration":30,"permissions":\#(beyond)}"#,
                as: gc)
            #expect(refused.status == 403 && refused.text.contains("DENIED"), "\(refused.text)")
            #expect(try await Self.call(harbor, "DELETE", "/robots/1", as: gc).status == 403, "no robot:delete")
        }
    }

    /// pkg/notifier/formats/cloudevents.go: a policy in the CloudEvents format gets
    /// `harbor.artifact.pushed` with the event data under `data`.
    @Test func aCloudEventsPolicyGetsCloudEvents() async throws {
        try await Self.withHarbor { harbor in
            let python = try requireTool("python3", package: "python3")
            let work = try TemporaryDirectory("harbor-cloudevents")
            defer { work.remove() }
            let port = try freePort()
            // A receiver that prints each delivery's body.
            let script = """
                import http.server, sys
                class H(http.server.BaseHTTPRequestHandler):
                    def do_POST(self):
                        print(self.headers.get("Content-Type"), \
                        self.rfile.read(int(self.headers["Content-Length"])).decode(), flush=True)
                        self.send_response(200); self.end_headers()
                    def log_message(self, *a): pass
                server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
                print("listening", flush=True)
                server.serve_forever()
                """
            let receiver = try ChildProcess(python, ["-c", script, String(port)], logDirectory: work.path)
            defer { Task { await receiver.stop() } }
            try await poll("the receiver to listen") { receiver.output.contains("listening") }
            let policy =
                #"""
                {"name":"gc","enabled":true,"event_types":["PUSH_ARTIFACT"],"targets":[{"type":"http",\#
                "address":"http://127.0.0.1:\#(port)/","payload_format":"CloudEvents"}]}
                """#
            #expect(try await Self.call(harbor, "POST", "/projects/proj/webhook/policies", policy).status == 201)
            let (layout, _) = try HarborRobotsTests.images(in: work, ["one"])
            try await harbor.push(layout: layout, name: "one", to: "proj/app:v1")
            try await poll("the CloudEvent") { receiver.output.contains("harbor.artifact.pushed") }
            #expect(
                receiver.output.contains("\napplication/cloudevents+json {")
                    && receiver.output.contains(#""repo_full_name": "proj/app""#), "\(receiver.output)")
            #expect(!receiver.output.contains("event_data"))
        }
    }
}
