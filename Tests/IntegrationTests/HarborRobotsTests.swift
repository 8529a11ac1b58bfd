import FleetAPI
import Foundation
import OCI
import SatelliteProtocol
import TestSupport
import Testing

/// A registry of kind `harbor`: each satellite pulls with a robot of its own that Ground Control
/// makes in the Harbor (the stand-in, which enforces robots' permissions on its Distribution API),
/// widens with the satellite's groups, refreshes without a gap, and deletes with the satellite.
@Suite struct HarborRobotsTests {
    /// Harbor, Ground Control checking robots every second and tags every two, and registry
    /// "central" of kind harbor.
    struct HarborFleet {
        let harbor: HarborStandIn
        let server: GroundControlProcess
        let work: TemporaryDirectory

        /// - Parameters: username, password: what Ground Control logs in to Harbor with (the
        ///   password kept in `admin-password`).
        static func start(
            _ work: TemporaryDirectory, harbor: HarborStandIn, database: String? = nil,
            username: String = HarborStandIn.admin,
            password: String = HarborStandIn.adminPassword
        ) async throws -> HarborFleet {
            let server = try await GroundControlProcess(
                directory: work, database: database, adminToken: "admin",
                extraArguments: ["--robot-interval", "1", "--resolve-interval", "2"])
            try Data(password.utf8).write(to: URL(fileURLWithPath: work.appending("admin-password")))
            let shown = try await IntegrationTests.satctl(
                server, token: "admin",
                [
                    "registries", "put", "central", "--kind", "harbor", "--registry-url", harbor.url, "--username",
                    username,
                    "--password-file", work.appending("admin-password"),
                ])
            #expect(shown.contains("harbor"), "\(shown)")
            return HarborFleet(harbor: harbor, server: server, work: work)
        }

        @discardableResult
        func satctl(_ arguments: [String]) async throws -> String {
            try await IntegrationTests.satctl(server, token: "admin", arguments)
        }

        /// Creates and registers a satellite in `groups`, acting as it; returns its auth header.
        func register(_ name: String, groups: [String]) async throws -> [String: String] {
            let token = try await create(name, groups: groups)
            let registered = try await httpSend(
                "POST", "\(server.baseURL)/api/v1/register", headers: ["Content-Type": "application/json"],
                body: try APIJSON.encoder().encode(["token": token]))
            return [
                "Authorization":
                    """
                Bearer \
                \(try APIJSON.decoder().decode(RegistrationResponse.self, from: registered.body).credential)
                """
            ]
        }

        /// Creates a satellite in `groups` that reports every second; returns its registration token.
        func create(_ name: String, groups: [String]) async throws -> String {
            let created = try await satctl(
                ["satellites", "create", name, "--heartbeat-interval", "1", "--sync-interval", "5", "--output", "json"]
                    + groups.flatMap { ["--group", $0] })
            return try APIJSON.decoder().decode(RegistrationToken.self, from: Data(created.utf8)).token
        }
    }

    /// The state a satellite last took, as it saved it (its signature on the first line).
    static func savedState(_ agent: SatelliteAgent) throws -> DesiredState {
        let saved = try Data(contentsOf: URL(fileURLWithPath: agent.dataDirectory + "/ground-control-state.signed"))
        let newline = try #require(saved.firstIndex(of: UInt8(ascii: "\n")))
        return try APIJSON.decoder().decode(DesiredState.self, from: saved[(newline + 1)...])
    }

    /// Runs `body` with Harbor holding `images` (each name an image, pushed to its references)
    /// and Ground Control in front; stops and removes everything afterwards.
    static func withHarbor(
        _ label: String, images names: [String], pushes: [(image: String, to: String)], database: String? = nil,
        _ body: (HarborFleet, _ layout: String, _ digests: [String: String]) async throws -> Void
    ) async throws {
        let harbor = try await HarborStandIn()
        let work = try TemporaryDirectory(label)
        defer { work.remove() }
        do {
            let (layout, digests) = try images(in: work, names)
            for push in pushes { try await harbor.push(layout: layout, name: push.image, to: push.to) }
            let fleet = try await HarborFleet.start(work, harbor: harbor, database: database)
            defer { Task { await fleet.server.stop() } }
            try await body(fleet, layout, digests)
        } catch {
            await harbor.cleanUp()
            throw error
        }
        await harbor.cleanUp()
    }

    static func images(
        in work: TemporaryDirectory, _ names: [String]
    ) throws -> (layout: String, digests: [String: String]) {
        var builder = try OCILayoutBuilder(path: work.appending("layout"))
        var digests: [String: String] = [:]
        for name in names {
            let image = try builder.image(architecture: "amd64", layers: [["content": name + "\n"]])
            try builder.tag(image, as: name)
            digests[name] = image.digest.string
        }
        return (work.appending("layout"), digests)
    }

    @Test func aSatellitePullsWithARobotOfItsOwnThatLivesAndDiesWithIt() async throws {
        try await Self.withHarbor(
            "harbor-robots", images: ["app1", "app2", "secret"],
            pushes: [("app1", "proj/app:v1"), ("secret", "other/private:v1")]
        ) { fleet, layout, digests in
            let harbor = fleet.harbor
            try await fleet.satctl(["groups", "put", "edge", "--registry", "central", "--artifact", "proj/app:v1"])
            let token = try await fleet.create("edge-01", groups: ["edge"])
            let agent = try await SatelliteAgent(
                state: nil, source: ["--ground-control", fleet.server.baseURL, "--token", token])
            defer { agent.terminate() }

            // Its own robot, with pull on the one project its group uses, and it pulled with it.
            try await agent.waitForStatus("the satellite's sync through its robot") {
                $0.digest(of: "central/proj/app", tag: "v1") == digests["app1"]
            }
            let robots = try await harbor.robots()
            #expect(robots.map(\.name) == ["robot$satellite.central.edge-01.a"])
            #expect(robots.first?.permissions.map(\.namespace) == ["proj"])
            let state = try Self.savedState(agent)
            let upstream = try #require(state.upstreams.first)
            #expect(upstream.username == "robot$satellite.central.edge-01.a")
            let secret = try #require(upstream.password)
            #expect(secret != HarborStandIn.adminPassword, "the admin's password reached a satellite")
            #expect(
                try await harbor.canPull("proj/app", tag: "v1", username: upstream.username ?? "", password: secret))
            #expect(
                try await !harbor.canPull(
                    "other/private", tag: "v1", username: upstream.username ?? "", password: secret),
                "the robot may pull from a project its groups do not name")
            let shown = try await fleet.satctl(["satellites", "show", "edge-01"])
            #expect(shown.contains("robot$satellite.central.edge-01.a"), "\(shown)")

            // Its groups widen: so do the robot's permissions, and the satellite pulls the new project.
            try await fleet.satctl([
                "groups", "put", "edge", "--registry", "central", "--artifact", "proj/app:v1", "--artifact",
                "other/private:v1",
            ])
            try await agent.waitForStatus("the sync of the second project") {
                $0.digest(of: "central/other/private", tag: "v1") == digests["secret"]
            }
            #expect(try await harbor.robots().first?.permissions.map(\.namespace).sorted() == ["other", "proj"])
            // And narrow again: the robot loses the project.
            try await fleet.satctl(["groups", "put", "edge", "--registry", "central", "--artifact", "proj/app:v1"])
            try await poll("the robot's permissions to narrow") {
                try await harbor.robots().first?.permissions.map(\.namespace) == ["proj"]
            }

            // A refresh (with the satellite's credential rotation): a new robot in the other slot,
            // the old one deleted only after the satellite took the new state. It never pulls
            // with a dead secret: a tag moved meanwhile syncs, and no pull was refused.
            try await fleet.satctl(["satellites", "rotate", "edge-01"])
            try await poll("the refreshed robot to be handed out") {
                try Self.savedState(agent).upstreams.first?.username == "robot$satellite.central.edge-01.b"
            }
            try await poll("the old robot to be deleted") {
                try await harbor.robots().map(\.name) == ["robot$satellite.central.edge-01.b"]
            }
            let created = harbor.events.firstIndex { $0 == "robot created robot$satellite.central.edge-01.b" }
            let deleted = harbor.events.firstIndex { $0 == "robot deleted robot$satellite.central.edge-01.a" }
            #expect(created != nil && deleted != nil && created! < deleted!, "\(harbor.events)")
            #expect(
                try await !harbor.canPull("proj/app", tag: "v1", username: upstream.username ?? "", password: secret),
                "the old secret still works")
            try await harbor.push(layout: layout, name: "app2", to: "proj/app:v1")
            try await agent.waitForStatus("the moved tag's sync with the new robot") {
                $0.digest(of: "central/proj/app", tag: "v1") == digests["app2"] && $0.allSynced
            }
            // No pull was ever refused: the state names a Harbor's artifacts only once the robot
            // exists and may pull them, and the old robot outlives the switch.
            let log = agent.child.errorOutput
            #expect(
                !log.contains("reason=unauthorized") && !log.contains("reason=forbidden"),
                "a pull was refused: \(log.suffix(3000))")

            // Revoked: the robot is deleted, and its secret stops working.
            let refreshed = try #require(try Self.savedState(agent).upstreams.first)
            try await fleet.satctl(["satellites", "revoke", "edge-01"])
            try await poll("the revoked satellite's robot to be deleted") { try await harbor.robots().isEmpty }
            #expect(
                try await !harbor.canPull(
                    "proj/app", tag: "v1", username: refreshed.username ?? "", password: refreshed.password ?? ""))
            // Each change to a robot is in the audit log, made by Ground Control itself.
            let audit = try await fleet.satctl(["audit"])
            for action in ["robot.issue", "robot.update", "robot.delete"] {
                #expect(
                    audit.contains(action) && audit.contains("ground-control"),
                    "\(action) is not in the audit log:\n\(audit)")
            }
        }
    }

    /// A refresh keeps the old robot alive until a heartbeat shows the satellite took the state
    /// naming the new one: a satellite that has not taken it still pulls with the old. On SQLite
    /// and on PostgreSQL.
    @Test(arguments: ["sqlite", "postgres"]) func theOldRobotLivesUntilTheSatelliteConfirmsTheNew(
        database: String
    ) async throws {
        let url = database == "postgres" ? try await PostgresServer.shared.makeDatabase() : nil
        try await Self.withHarbor("harbor-refresh", images: ["app1"], pushes: [("app1", "proj/app:v1")], database: url)
        { fleet, _, digests in
            let harbor = fleet.harbor
            try await fleet.satctl([
                "groups", "put", "edge", "--registry", "central", "--artifact", "proj/app:v1@\(digests["app1"] ?? "")",
            ])
            // The satellite's side by hand, so the test decides when it confirms.
            let auth = try await fleet.register("edge-01", groups: ["edge"])
            func state() async throws -> DesiredState {
                try APIJSON.decoder().decode(
                    DesiredState.self,
                    from: try await httpGet("\(fleet.server.baseURL)/api/v1/state", headers: auth).body)
            }
            func confirm(_ generation: Int64) async throws {
                let reply = try await httpSend(
                    "POST", "\(fleet.server.baseURL)/api/v1/status",
                    headers: auth.merging(["Content-Type": "application/json"]) { $1 },
                    body: try APIJSON.encoder().encode(StatusReport(generation: generation, inventory: [])))
                #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
            }
            let first = try await pollFor("the first robot") { () -> DesiredState? in
                let state = try await state()
                return state.upstreams.first?.username == "robot$satellite.central.edge-01.a" ? state : nil
            }
            try await confirm(first.generation)

            try await fleet.satctl(["satellites", "rotate", "edge-01"])
            let second = try await pollFor("the refreshed robot in the state") { () -> DesiredState? in
                let state = try await state()
                return state.upstreams.first?.username == "robot$satellite.central.edge-01.b" ? state : nil
            }
            let old = try #require(first.upstreams.first)
            // Several robot passes (one a second) go by without a confirmation: the old robot
            // stays, and its secret still pulls. (A bounded wait: what is checked is an absence.)
            try await Task.sleep(for: .seconds(3))
            #expect(
                try await harbor.robots().map(\.name).sorted() == [
                    "robot$satellite.central.edge-01.a", "robot$satellite.central.edge-01.b",
                ])
            #expect(
                try await harbor.canPull(
                    "proj/app", tag: "v1", username: old.username ?? "", password: old.password ?? ""))
            let new = try #require(second.upstreams.first)
            #expect(
                try await harbor.canPull(
                    "proj/app", tag: "v1", username: new.username ?? "", password: new.password ?? ""))

            // The satellite confirms the state it holds now, as a real one does: the newest, which
            // names the new robot (a later pass may have moved the generation past `second`'s).
            let current = try await state()
            #expect(current.upstreams.first?.username == new.username)
            try await confirm(current.generation)
            try await poll("the old robot to go once the satellite confirmed") {
                try await harbor.robots().map(\.name) == ["robot$satellite.central.edge-01.b"]
            }
            #expect(
                try await !harbor.canPull(
                    "proj/app", tag: "v1", username: old.username ?? "", password: old.password ?? ""))
        }
    }

    /// Harbor unreachable: robots wait, nothing is lost. A satellite registered meanwhile gets its
    /// robot once Harbor is back (replacing a leftover of the same name); one deleted meanwhile
    /// loses its robot once Harbor is back.
    @Test func harborDownDelaysRobotsAndLosesNothing() async throws {
        try await Self.withHarbor("harbor-down", images: ["app1"], pushes: [("app1", "proj/app:v1")]) {
            fleet, _, digests in
            let harbor = fleet.harbor
            try await fleet.satctl([
                "groups", "put", "edge", "--registry", "central", "--artifact", "proj/app:v1@\(digests["app1"] ?? "")",
            ])
            // A robot of that name already in Harbor, as when Ground Control stopped between
            // making one and recording it: it is replaced, not trusted (its secret is unknown).
            let basic =
                "Basic " + Data("\(HarborStandIn.admin):\(HarborStandIn.adminPassword)".utf8).base64EncodedString()
            let leftover = try await httpSend(
                "POST", "\(harbor.url)/api/v2.0/robots",
                headers: ["Authorization": basic, "Content-Type": "application/json"],
                body: Data(
                    #"""
                    {"name": "satellite.central.edge-01.a", "level": "system", "duration": 30, "permissions": \#
                    [{"kind": "project", "namespace": "proj", "access": [{"resource": "repository", "action": \#
                    "pull"}]}]}
                    """#
                    .utf8))
            #expect(leftover.status == 201)

            await harbor.stop()
            let token = try await fleet.create("edge-01", groups: ["edge"])
            let agent = try await SatelliteAgent(
                state: nil, source: ["--ground-control", fleet.server.baseURL, "--token", token])
            defer { agent.terminate() }
            try await poll("Ground Control to count a Harbor failure") {
                let metrics = try await httpGet("\(fleet.server.baseURL)/metrics")
                return String(decoding: metrics.body, as: UTF8.self).contains(
                    "ground_control_harbor_failures_total{registry=\"central\"}")
            }
            let taken = try await pollFor("the satellite to take its state") { try? Self.savedState(agent) }
            #expect(taken.upstreams.first?.username == nil, "a robot was handed out that Harbor never made")

            try await harbor.start()
            try await agent.waitForStatus("the sync once Harbor is back") {
                $0.digest(of: "central/proj/app", tag: "v1") == digests["app1"]
            }
            #expect(try await harbor.robots().map(\.name) == ["robot$satellite.central.edge-01.a"])

            await harbor.stop()
            try await fleet.satctl(["satellites", "delete", "edge-01"])
            try await fleet.satctl(["groups", "delete", "edge"])
            // Deleting the registry now would leave the robot in Harbor with nobody to delete it.
            let refused = try await httpSend(
                "DELETE", "\(fleet.server.baseURL)/api/v1/registries/central",
                headers: ["Authorization": "Bearer admin"])
            #expect(
                refused.status == 409 && String(decoding: refused.body, as: UTF8.self).contains("robot"),
                "\(refused.status)")
            try await harbor.start()
            try await poll("the deleted satellite's robot to be deleted once Harbor is back") {
                try await harbor.robots().isEmpty
            }
            try await poll("the registry to be deletable once its robots are gone") {
                try await httpSend(
                    "DELETE", "\(fleet.server.baseURL)/api/v1/registries/central",
                    headers: ["Authorization": "Bearer admin"]
                ).status == 204
            }
        }
    }

    /// Tag filters resolve through Harbor's artifact listing, and the scan gate holds back what a
    /// scan finds too severe, keeping the digest that last passed.
    @Test func filtersResolveAndTheScanGateHoldsBack() async throws {
        let versions = ["1.24.9", "1.25.0", "1.25.1", "2.0", "latest"]
        try await Self.withHarbor(
            "harbor-filters", images: versions + ["clean", "vulnerable"],
            pushes: versions.map { ($0, "proj/app:\($0)") } + [("clean", "proj/tools:stable")]
        ) { fleet, layout, digests in
            let harbor = fleet.harbor

            func resolved(_ group: String) async throws -> [String: String] {
                let view = try APIJSON.decoder().decode(
                    GroupView.self,
                    from: Data(try await fleet.satctl(["groups", "show", group, "--output", "json"]).utf8))
                var tags: [String: String] = [:]
                for chosen in view.artifacts.flatMap({ $0.resolved ?? [] }) {
                    tags["\(chosen.repository):\(chosen.tag)"] = chosen.digest.string
                }
                return tags
            }
            try await fleet.satctl([
                "groups", "put", "semver", "--registry", "central", "--select", "proj/app;semver=>=1.25 <2",
            ])
            try await fleet.satctl(["groups", "put", "glob", "--registry", "central", "--select", "proj/app;tags=1.*"])
            try await fleet.satctl(["groups", "put", "newest", "--registry", "central", "--select", "proj/*;latest=1"])
            let expected = [
                "semver": ["proj/app:1.25.0": digests["1.25.0"], "proj/app:1.25.1": digests["1.25.1"]],
                "glob": [
                    "proj/app:1.24.9": digests["1.24.9"], "proj/app:1.25.0": digests["1.25.0"],
                    "proj/app:1.25.1": digests["1.25.1"],
                ],
                "newest": ["proj/app:latest": digests["latest"], "proj/tools:stable": digests["clean"]],
            ]
            for (group, tags) in expected {
                try await poll("group \(group) to resolve") {
                    try await resolved(group) == tags.compactMapValues { $0 }
                }
            }

            // The gate: at most high. A clean artifact passes; a critical one pushed over the
            // same tag is held back, and the tag keeps the digest that passed.
            try await harbor.push(layout: layout, name: "clean", to: "proj/app:gated")
            try await harbor.setScan("proj/app", digest: digests["clean"] ?? "", severity: "Low")
            try await fleet.satctl([
                "groups", "put", "gated", "--registry", "central", "--artifact", "proj/app:gated", "--max-severity",
                "high",
            ])
            func gated() async throws -> GroupView {
                try APIJSON.decoder().decode(
                    GroupView.self,
                    from: Data(try await fleet.satctl(["groups", "show", "gated", "--output", "json"]).utf8))
            }
            try await poll("the clean artifact to pass") {
                try await gated().artifacts.first?.resolvedDigest?.string == digests["clean"]
            }
            // Scanned before the push lands (the stand-in keeps results by digest): with maxSeverity
            // alone, an artifact not scanned yet passes, and a pass could see it in between.
            try await harbor.setScan("proj/app", digest: digests["vulnerable"] ?? "", severity: "Critical")
            try await harbor.push(layout: layout, name: "vulnerable", to: "proj/app:gated")
            try await poll("the critical artifact to be held back") {
                try await gated().artifacts.first?.heldBack?.first?.digest.string == digests["vulnerable"]
            }
            let held = try await gated()
            #expect(
                held.artifacts.first?.resolvedDigest?.string == digests["clean"], "the tag left the digest that passed")
            #expect(
                held.artifacts.first?.heldBack?.first?.reason
                    == "severity critical is above the group's maxSeverity high")
            let shown = try await fleet.satctl(["groups", "show", "gated"])
            #expect(shown.contains("held back") && shown.contains("severity critical"), "\(shown)")

            // A later scan clears it: the tag moves on.
            try await harbor.setScan("proj/app", digest: digests["vulnerable"] ?? "", severity: "Medium")
            try await poll("the rescanned artifact to pass") {
                let entry = try await gated().artifacts.first
                return entry?.resolvedDigest?.string == digests["vulnerable"] && entry?.heldBack == nil
            }

            // requireScan: an artifact never scanned is withheld.
            try await harbor.push(layout: layout, name: "2.0", to: "proj/app:unscanned")
            try await fleet.satctl([
                "groups", "put", "strict", "--registry", "central", "--artifact", "proj/app:unscanned",
                "--require-scan",
            ])
            try await poll("the unscanned artifact to be held back") {
                let view = try APIJSON.decoder().decode(
                    GroupView.self,
                    from: Data(try await fleet.satctl(["groups", "show", "strict", "--output", "json"]).utf8))
                return view.artifacts.first?.heldBack?.first?.reason == "not scanned"
                    && view.artifacts.first?.resolvedDigest == nil
            }
        }
    }
}

extension HarborRobotsTests {
    /// Issue 25.2, against a stand-in that behaves as Harbor's handlers do: Ground Control logged
    /// in as a system robot (its new robots within its own permissions), a robot name prefix
    /// other than `robot$`, the secret set after creation, a group naming a project Harbor lacks
    /// holding up neither its other project nor another satellite, and a duration change whose
    /// expiry Harbor counts from the robot's creation.
    @Test func aMissingProjectHoldsUpNobodyUnderASystemRobotAndAnotherPrefix() async throws {
        let harbor = try await HarborStandIn(robotPrefix: "bot-")
        let work = try TemporaryDirectory("harbor-missing-project")
        defer { work.remove() }
        do {
            let (layout, digests) = try Self.images(in: work, ["app1"])
            try await harbor.push(layout: layout, name: "app1", to: "proj/app:v1")
            // Ground Control's own robot: robots, and pull and read on every project.
            let manager = #"""
                {"name":"ground-control","level":"system","duration":-1,"permissions":[
                  {"kind":"system","namespace":"/","access":[{"resource":"robot","action":"create"},\#
                  {"resource":"robot","action":"read"},
                    {"resource":"robot","action":"list"},{"resource":"robot","action":"update"},{"resource":"robot",\#
                    "action":"delete"}]},
                  {"kind":"project","namespace":"*","access":[{"resource":"repository","action":"pull"},\#
                  {"resource":"repository","action":"list"},
                    {"resource":"artifact","action":"read"},{"resource":"artifact","action":"list"}]}]}
                """#
            let created = try await HarborStandInTests.call(harbor, "POST", "/robots", manager)
            let secret = try #require(created.body["secret"] as? String, "\(created.text)")
            let fleet = try await HarborFleet.start(
                work, harbor: harbor, username: "bot-ground-control", password: secret)
            defer { Task { await fleet.server.stop() } }

            try await fleet.satctl([
                "groups", "put", "mixed", "--registry", "central", "--artifact", "nosuch/app:v1", "--artifact",
                "proj/app:v1@\(digests["app1"] ?? "")",
            ])
            try await fleet.satctl([
                "groups", "put", "edge", "--registry", "central", "--artifact", "proj/app:v1@\(digests["app1"] ?? "")",
            ])
            // Registered in name order: the satellite of the bad group comes first.
            let first = try await fleet.register("s-a", groups: ["mixed"])
            let second = try await fleet.register("s-b", groups: ["edge"])
            try await poll("both satellites' robots") {
                Set(try await harbor.robots().map(\.name)) == [
                    "bot-ground-control", "bot-satellite.central.s-a.a", "bot-satellite.central.s-b.a",
                ]
            }
            #expect(
                try await harbor.robots().first { $0.name == "bot-satellite.central.s-a.a" }?.permissions.map(
                    \.namespace) == ["proj"])
            let group = try APIJSON.decoder().decode(
                GroupView.self,
                from: Data(try await fleet.satctl(["groups", "show", "mixed", "--output", "json"]).utf8))
            #expect(group.missingProjects == ["nosuch"], "\(group)")

            // Each satellite's state names its robot as Harbor shows it, with a secret that works.
            for (name, auth) in [("s-a", first), ("s-b", second)] {
                let state = try await pollFor("\(name)'s state with its robot") { () -> DesiredState? in
                    let reply = try await httpGet("\(fleet.server.baseURL)/api/v1/state", headers: auth)
                    let state = try APIJSON.decoder().decode(DesiredState.self, from: reply.body)
                    return state.upstreams.first?.username == nil ? nil : state
                }
                let upstream = try #require(state.upstreams.first)
                #expect(upstream.username == "bot-satellite.central.\(name).a")
                #expect(
                    try await harbor.canPull(
                        "proj/app", tag: "v1", username: upstream.username ?? "", password: upstream.password ?? ""),
                    "\(name) cannot pull with the secret its state names")
                #expect(
                    state.artifacts.map(\.repository.value) == ["proj/app"],
                    "nothing from the missing project: \(state.artifacts)")
            }

            // A shorter life, then the project appears: the robot widens under its shown name, and
            // its expiry is Harbor's, counted from its creation.
            try await fleet.satctl([
                "registries", "put", "central", "--kind", "harbor", "--registry-url", harbor.url, "--username",
                "bot-ground-control",
                "--password-file", work.appending("admin-password"), "--robot-duration-days", "7",
            ])
            #expect(
                try await HarborStandInTests.call(harbor, "POST", "/projects", #"{"project_name":"nosuch"}"#).status
                    == 201)
            try await poll("the robot to widen to the new project") {
                try await harbor.robots().first { $0.name == "bot-satellite.central.s-a.a" }?.permissions.map(
                    \.namespace
                ).sorted() == ["nosuch", "proj"]
            }
            let robot = try #require(try await harbor.robots().first { $0.name == "bot-satellite.central.s-a.a" })
            let view = try await pollFor("Ground Control to hold Harbor's expiry") { () -> SatelliteView? in
                let view = try APIJSON.decoder().decode(
                    SatelliteView.self,
                    from: Data(try await fleet.satctl(["satellites", "show", "s-a", "--output", "json"]).utf8))
                return view.robots?.first?.expiresAt.map { Int($0.timeIntervalSince1970) } == robot.expires_at
                    ? view : nil
            }
            #expect(view.robots?.first?.name == "bot-satellite.central.s-a.a")
            try await poll("the group to stop naming a missing project") {
                try APIJSON.decoder().decode(
                    GroupView.self,
                    from: Data(try await fleet.satctl(["groups", "show", "mixed", "--output", "json"]).utf8)
                ).missingProjects == nil
            }
        } catch {
            await harbor.cleanUp()
            throw error
        }
        await harbor.cleanUp()
    }
}
