import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

/// `ground-control serve` and `satctl` as programs, against docker-registry and PostgreSQL.
@Suite("Ground Control programs")
struct GroundControlProgramTests {
    @Test func aFleetIsDefinedWithSatctlAndTagsResolveThroughTheRegistry() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            let server = try await GroundControlProcess(directory: work, extraArguments: ["--resolve-interval", "1"])
            let admin = try require(server.printedAdminToken, "the first start prints an admin token")
            try Data(UpstreamRegistry.password.utf8).write(to: URL(fileURLWithPath: work.appending("password")))

            try await satctl(
                server, token: admin,
                [
                    "registries", "put", "central", "--registry-url", upstream.url,
                    "--username", UpstreamRegistry.username, "--password-file", work.appending("password"),
                ])
            try await satctl(
                server, token: admin, ["groups", "put", "edge", "--registry", "central", "--artifact", "library/app:1"])
            let created = try await satctl(
                server, token: admin,
                ["satellites", "create", "edge-01", "--group", "edge", "--label", "site=hamburg", "--output", "json"])
            let token = try APIJSON.decoder().decode(RegistrationToken.self, from: Data(created.utf8))

            // The tag resolves through the registry with the pull credentials.
            try await poll("the tag to resolve") {
                let shown = try await satctl(server, token: admin, ["groups", "show", "edge", "--output", "json"])
                return try APIJSON.decoder().decode(GroupView.self, from: Data(shown.utf8)).artifacts.first?
                    .resolvedDigest == images.first.digest
            }
            let registered = try await httpSend(
                "POST", "\(server.baseURL)/api/v1/register", body: Data(#"{"token":"\#(token.token)"}"#.utf8))
            #expect(registered.status == 200)
            let credential = try APIJSON.decoder().decode(RegistrationResponse.self, from: registered.body).credential
            let bearer = ["Authorization": "Bearer \(credential)"]
            let state = try APIJSON.decoder().decode(
                DesiredState.self, from: try await httpGet("\(server.baseURL)/api/v1/state", headers: bearer).body)
            #expect(state.artifacts.map(\.digest) == [images.first.digest])
            #expect(
                state.upstreams.first?.url == upstream.url
                    && state.upstreams.first?.password == UpstreamRegistry.password)

            // The tag moves upstream: the next pass changes the state and its generation.
            try await upstream.push(layout: images.layout, name: "second", to: "library/app:1")
            try await poll("the moved tag to reach the state") {
                let now = try APIJSON.decoder().decode(
                    DesiredState.self, from: try await httpGet("\(server.baseURL)/api/v1/state", headers: bearer).body)
                return now.artifacts.first?.digest == images.second.digest && now.generation > state.generation
            }

            let heartbeat = #"{"generation":\#(state.generation),"inventory":["\#(images.first.digest)"]}"#
            #expect(
                try await httpSend(
                    "POST", "\(server.baseURL)/api/v1/status", headers: bearer, body: Data(heartbeat.utf8)
                ).status == 200)
            try await poll("the heartbeat to show in the fleet view") {
                let table = try await satctl(server, token: admin, ["satellites", "list"])
                let row = table.split(separator: "\n").first { $0.hasPrefix("edge-01") } ?? ""
                return row.contains("online") && row.contains("behind") && row.contains("1 missing")
            }

            try await satctl(server, token: admin, ["satellites", "revoke", "edge-01"])
            #expect(try await httpGet("\(server.baseURL)/api/v1/state", headers: bearer).status == 401)
            let audit = try await satctl(server, token: admin, ["audit"])
            for action in ["registry.put", "group.put", "satellite.create", "satellite.register", "satellite.revoke"] {
                #expect(audit.contains(action), "audit shows \(action)")
            }
            #expect(!audit.contains(UpstreamRegistry.password))

            let refused = try await run(
                try productPath("satctl"),
                [
                    "groups", "put", "bad", "--registry", "nowhere", "--artifact", "x:1", "--url", server.baseURL,
                    "--token", admin,
                ])
            #expect(
                refused.status != 0 && refused.error.contains("REGISTRY_UNKNOWN") && refused.error.contains("nowhere"))

            // A restart keeps the admin token (only its hash is stored) and prints no new one.
            await server.stop()
            #expect(server.child.terminationStatus == 0)
            let again = try await GroundControlProcess(directory: work)
            #expect(again.printedAdminToken == nil)
            #expect(try await satctl(again, token: admin, ["satellites", "list"]).contains("revoked"))
            await again.stop()
            await upstream.cleanUp()
        }
    }

    @Test func twoProcessesOnOnePostgreSQLServeOneFleet() async throws {
        let work = try TemporaryDirectory("ground-control-pg")
        defer { work.remove() }
        let database = try await PostgresServer.shared.makeDatabase()
        let admin = "shared-admin-token"
        let (a, b) = try await GroundControlProcess.pair(directory: work, database: database, adminToken: admin)
        defer {
            Task {
                await a.stop(); await b.stop()
            }
        }
        let digest = "sha256:" + String(repeating: "ef", count: 32)
        let headers = ["Authorization": "Bearer \(admin)"]

        #expect(
            try await httpSend(
                "PUT", "\(a.baseURL)/api/v1/registries/central", headers: headers,
                body: Data(#"{"url":"http://127.0.0.1:1"}"#.utf8)
            ).status == 201)
        let group = #"{"registry":"central","artifacts":[{"repository":"apps/web","digest":"\#(digest)"}]}"#
        #expect(
            try await httpSend("PUT", "\(a.baseURL)/api/v1/groups/edge", headers: headers, body: Data(group.utf8))
                .status == 201)
        let created = try await httpSend(
            "POST", "\(a.baseURL)/api/v1/satellites", headers: headers,
            body: Data(#"{"name":"s1","groups":["edge"]}"#.utf8))
        let token = try APIJSON.decoder().decode(RegistrationToken.self, from: created.body).token
        // Registered through B with a token made by A; both sign with the one key.
        let registered = try APIJSON.decoder().decode(
            RegistrationResponse.self,
            from: try await httpSend("POST", "\(b.baseURL)/api/v1/register", body: Data(#"{"token":"\#(token)"}"#.utf8))
                .body)
        #expect(
            try await httpGet("\(a.baseURL)/api/v1/public-key").body
                == (try await httpGet("\(b.baseURL)/api/v1/public-key").body))
        let bearer = ["Authorization": "Bearer \(registered.credential)"]
        let first = try await httpGet("\(a.baseURL)/api/v1/state", headers: bearer)
        let etag = try require(first.headers["etag"], "an ETag")
        let signature = try require(first.headers[StateSignature.header.lowercased()], "a signature")
        #expect(StateSignature.isValid(signature, for: first.body, publicKey: registered.publicKey))

        // A long-poll on A wakes when an admin changes the group through B.
        async let polled = httpGet(
            "\(a.baseURL)/api/v1/state?wait=60", headers: bearer.merging(["If-None-Match": etag]) { $1 })
        try await poll("the long-poll on A to wait") {
            String(decoding: try await httpGet("\(a.baseURL)/metrics").body, as: UTF8.self).contains(
                "ground_control_long_polls 1")
        }
        let changedAt = ContinuousClock.now
        #expect(
            try await httpSend(
                "PUT", "\(b.baseURL)/api/v1/groups/edge", headers: headers,
                body: Data(#"{"registry":"central","artifacts":[]}"#.utf8)
            ).status == 200)
        let woke = try await polled
        #expect(woke.status == 200)
        // Well before the 60 s the long-poll would otherwise wait (about 1 s alone; 5.5 s was
        // seen with the machine loaded by a build beside the suite, so the bound leaves room).
        #expect(ContinuousClock.now - changedAt < .seconds(25))
        #expect(try APIJSON.decoder().decode(DesiredState.self, from: woke.body).artifacts.isEmpty)

        // A heartbeat through A shows in B's fleet view.
        #expect(
            try await httpSend(
                "POST", "\(a.baseURL)/api/v1/status", headers: bearer,
                body: Data(#"{"generation":1,"inventory":[]}"#.utf8)
            ).status == 200)
        try await poll("the heartbeat to show through B") {
            let view = try APIJSON.decoder().decode(
                SatelliteView.self, from: try await httpGet("\(b.baseURL)/api/v1/satellites/s1", headers: headers).body)
            return view.state == "online" && view.appliedGeneration == 1
        }

        // Deleted through B, the satellite's credential stops working on A at once, though A has it cached.
        #expect(try await httpSend("DELETE", "\(b.baseURL)/api/v1/satellites/s1", headers: headers).status == 204)
        try await poll("A to refuse the deleted satellite's credential", timeout: .seconds(15)) {
            try await httpGet("\(a.baseURL)/api/v1/state", headers: bearer).status == 401
        }
        #expect(
            try await httpSend(
                "POST", "\(a.baseURL)/api/v1/status", headers: bearer,
                body: Data(#"{"generation":1,"inventory":[]}"#.utf8)
            ).status == 401)
        await a.stop()
        await b.stop()
        #expect(a.child.terminationStatus == 0 && b.child.terminationStatus == 0)
    }
}

extension GroundControlProgramTests {
    @Test func sigtermAnswersWaitingLongPollsAndExitsCleanly() async throws {
        let work = try TemporaryDirectory("ground-control-stop")
        defer { work.remove() }
        let server = try await GroundControlProcess(directory: work, adminToken: "admin")
        let admin = ["Authorization": "Bearer admin"]
        _ = try await httpSend(
            "PUT", "\(server.baseURL)/api/v1/registries/central", headers: admin,
            body: Data(#"{"url":"http://127.0.0.1:1"}"#.utf8))
        _ = try await httpSend(
            "PUT", "\(server.baseURL)/api/v1/groups/edge", headers: admin,
            body: Data(#"{"registry":"central","artifacts":[]}"#.utf8))
        let created = try await httpSend(
            "POST", "\(server.baseURL)/api/v1/satellites", headers: admin,
            body: Data(#"{"name":"s1","groups":["edge"]}"#.utf8))
        let token = try APIJSON.decoder().decode(RegistrationToken.self, from: created.body).token
        let registered = try await httpSend(
            "POST", "\(server.baseURL)/api/v1/register", body: Data(#"{"token":"\#(token)"}"#.utf8))
        let bearer = [
            "Authorization":
                "Bearer \(try APIJSON.decoder().decode(RegistrationResponse.self, from: registered.body).credential)"
        ]
        let etag = try require(
            try await httpGet("\(server.baseURL)/api/v1/state", headers: bearer).headers["etag"], "an ETag")

        async let polled = httpGet(
            "\(server.baseURL)/api/v1/state?wait=300", headers: bearer.merging(["If-None-Match": etag]) { $1 })
        try await poll("the long-poll to wait") {
            String(decoding: try await httpGet("\(server.baseURL)/metrics").body, as: UTF8.self).contains(
                "ground_control_long_polls 1")
        }
        let stoppedAt = ContinuousClock.now
        server.child.signal(SIGTERM)
        #expect(try await polled.status == 304)
        #expect(try await server.child.waitForExit(timeout: .seconds(20)) == 0)
        // Well before the 300 s the long-poll had left.
        #expect(ContinuousClock.now - stoppedAt < .seconds(30))
    }
}

extension GroundControlProgramTests {
    @Test func aSatelliteRegistersFollowsItsSignedStateAndReportsToTheFleet() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            try await upstream.push(layout: images.layout, name: "other", to: "library/other:1")
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            let token = try await defineFleet(server, upstream: upstream, work: work, artifacts: ["library/app:1"])
            let settings = #"{"syncIntervalSeconds":60,"heartbeatIntervalSeconds":1,"logLevel":"info"}"#
            #expect(
                try await httpSend(
                    "PUT", "\(server.baseURL)/api/v1/satellites/edge-01/settings",
                    headers: ["Authorization": "Bearer admin"],
                    body: Data(settings.utf8)
                ).status == 200)

            let agent = try await SatelliteAgent(
                state: nil, source: ["--ground-control", server.baseURL, "--token", token])
            defer {
                Task {
                    await agent.child.stop(); agent.directory.remove()
                }
            }
            func served(_ path: String) async -> String? {
                try? await httpGet("\(agent.baseURL)/v2/\(path)", headers: ["Accept": images.first.mediaType]).headers[
                    "docker-content-digest"]
            }
            try await poll("the satellite to serve library/app:1", timeout: .seconds(60)) {
                await served("library/app/manifests/1") == images.first.digest.string
            }

            // The fleet view shows it online and in step: applied generation = desired, nothing missing.
            try await poll("the fleet view to show edge-01 in step") {
                let view = try APIJSON.decoder().decode(
                    SatelliteView.self,
                    from: try await httpGet(
                        "\(server.baseURL)/api/v1/satellites/edge-01", headers: ["Authorization": "Bearer admin"]
                    ).body)
                return view.state == "online" && !view.drift.behind && view.drift.missing.isEmpty
                    && view.lastSync?.succeeded == true
            }
            // Files holding secrets are the owner's only: the credential, the state (upstream
            // password) with its signature here; the signing key and passwords in Ground Control's database.
            for file in ["ground-control.json", "ground-control-state.signed"] {
                let mode =
                    try FileManager.default.attributesOfItem(atPath: agent.dataDirectory + "/" + file)[
                        .posixPermissions] as? Int
                #expect(mode == 0o600, "\(file) is \(String(mode ?? 0, radix: 8))")
            }
            for file in ["fleet.sqlite", "fleet.sqlite-wal"] {
                let mode =
                    try FileManager.default.attributesOfItem(atPath: work.appending(file))[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(file) is \(String(mode ?? 0, radix: 8))")
            }

            // A group change reaches the satellite through its long-poll.
            try await satctl(server, token: "admin", ["groups", "add", "edge", "library/other:1"])
            try await poll("the satellite to serve library/other:1", timeout: .seconds(60)) {
                await served("library/other/manifests/1") == images.other.digest.string
            }

            // The log level Ground Control sets applies at once: at "warning", the next state
            // arrives and is synced without a single info line.
            let quiet = #"{"syncIntervalSeconds":60,"heartbeatIntervalSeconds":1,"logLevel":"warning"}"#
            #expect(
                try await httpSend(
                    "PUT", "\(server.baseURL)/api/v1/satellites/edge-01/settings",
                    headers: ["Authorization": "Bearer admin"],
                    body: Data(quiet.utf8)
                ).status == 200)
            try await poll("the satellite to announce the new log level") {
                agent.child.errorOutput.contains("settings from Ground Control")
                    && agent.child.errorOutput.contains("logLevel=warning")
            }
            let infoLines = agent.child.errorOutput.components(separatedBy: " info ").count
            try await satctl(server, token: "admin", ["groups", "remove", "edge", "library/other:1"])
            try await poll("the satellite to stop serving library/other:1", timeout: .seconds(60)) {
                await served("library/other/manifests/1") == nil
            }
            #expect(
                agent.child.errorOutput.components(separatedBy: " info ").count == infoLines,
                "\(agent.child.errorOutput.suffix(2000))")

            // Restarted without a token, it uses its saved credential (no second registration),
            // and tightens secret files an older version left readable by others.
            await agent.child.stop()
            let secrets = ["ground-control.json", "ground-control-state.signed"].map { agent.dataDirectory + "/" + $0 }
            for file in secrets { chmod(file, 0o644) }
            let again = try await SatelliteAgent(
                state: nil, directory: agent.directory, source: ["--ground-control", server.baseURL])
            defer { Task { await again.child.stop() } }
            for file in secrets {
                #expect(
                    try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600,
                    "\(file)")
            }
            #expect(
                try await httpGet(
                    "\(again.baseURL)/v2/library/app/manifests/1", headers: ["Accept": images.first.mediaType]
                ).status == 200)
            let audit = try await satctl(server, token: "admin", ["audit", "--output", "json"])
            let registrations = try APIJSON.decoder().decode([AuditEntry].self, from: Data(audit.utf8)).filter {
                $0.action == "satellite.register"
            }
            #expect(registrations.count == 1)
            await again.child.stop()
            await server.stop()
            await upstream.cleanUp()
        }
    }
}

extension GroundControlProgramTests {
    @Test func servesTheAPIOverTLS() async throws {
        let openssl = try requireTool("openssl", package: "openssl")
        let curl = try requireTool("curl", package: "curl")
        let work = try TemporaryDirectory("ground-control-tls")
        defer { work.remove() }
        try await runChecked(
            openssl,
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", work.appending("tls.key"), "-out",
                work.appending("tls.crt"),
            ])
        let server = try await GroundControlProcess(
            directory: work, adminToken: "admin",
            extraArguments: ["--tls-cert", work.appending("tls.crt"), "--tls-key", work.appending("tls.key")])
        #expect(server.baseURL.hasPrefix("https://"))
        // curl verifies the certificate against the test's own CA file.
        let listed = try await runChecked(
            curl,
            [
                "-sf", "--cacert", work.appending("tls.crt"), "-H", "Authorization: Bearer admin",
                "\(server.baseURL)/api/v1/satellites",
            ])
        #expect(listed == "[]")
        let unverified = try await run(curl, ["-sf", "\(server.baseURL)/healthz"])
        #expect(unverified.status != 0, "an unknown certificate is refused")
        await server.stop()
    }
}

extension GroundControlProgramTests {
    @Test func settingsComeFromFlagsEnvironmentAndConfigFile() async throws {
        let work = try TemporaryDirectory("ground-control-settings")
        defer { work.remove() }
        let executable = try productPath("ground-control")
        try Data("listen: 127.0.0.1:0\ndatabase: sqlite:\(work.appending("from-file.sqlite"))\n".utf8)
            .write(to: URL(fileURLWithPath: work.appending("config.yaml")))
        // The environment beats the file.
        let child = try ChildProcess(
            executable, ["serve", "--config", work.appending("config.yaml")], logDirectory: work.path,
            environment: [
                "GROUND_CONTROL_DATABASE": "sqlite:\(work.appending("from-env.sqlite"))",
                "GROUND_CONTROL_ADMIN_TOKEN": "admin",
            ])
        try await poll("ground-control to serve") { child.output.contains("ground-control: serving http://127.0.0.1:") }
        #expect(FileManager.default.fileExists(atPath: work.appending("from-env.sqlite")))
        #expect(!FileManager.default.fileExists(atPath: work.appending("from-file.sqlite")))
        // The secret key is made beside a SQLite database by default, owner-only.
        let keyMode =
            try FileManager.default.attributesOfItem(atPath: work.appending("from-env.sqlite.key"))[
                .posixPermissions] as? Int
        #expect(keyMode == 0o600)
        await child.stop()

        // A database that is neither SQLite nor PostgreSQL is refused by name.
        let refused = try await run(executable, ["serve", "--listen", "127.0.0.1:0", "--database", "mysql://x"])
        #expect(refused.status != 0 && refused.error.contains("database must be sqlite:PATH or postgres://"))
        // Replicas on PostgreSQL must share a key, so none is made up for one.
        let keyless = try await run(
            executable, ["serve", "--listen", "127.0.0.1:0", "--database", "postgres://fleet@127.0.0.1:9/fleet"])
        #expect(keyless.status != 0 && keyless.error.contains("secret-key-file is needed with PostgreSQL"))
        let badListen = try await run(
            executable, ["serve", "--listen", "nowhere", "--database", "sqlite:\(work.appending("x.sqlite"))"])
        #expect(badListen.status != 0 && badListen.error.contains("listen must be host:port"))
        // The satellites' cadence (issue 30): seconds (below one taken as one), a wait of at most 300.
        for (flag, value, says) in [
            ("--poll-wait-seconds", "301", "poll-wait-seconds: at most 300"),
            ("--poll-wait-seconds", "-1", "poll-wait-seconds"),
            ("--quiet-heartbeat-seconds", "soon", "quiet-heartbeat-seconds"),
        ] {
            let cadence = try await run(
                executable,
                [
                    "serve", "--listen", "127.0.0.1:0", "--database", "sqlite:\(work.appending("c.sqlite"))", flag,
                    value,
                ],
                timeout: .seconds(30))
            #expect(cadence.status != 0 && cadence.error.contains(says), "\(flag) \(value): \(cadence.error)")
        }
        #expect(
            !FileManager.default.fileExists(atPath: work.appending("c.sqlite")), "refused before the database is made")
    }
}

extension GroundControlProgramTests {
    /// `tampering-proxy.py` changes each state's bytes on the way and keeps the signature.
    @Test func aSatelliteRefusesAStateChangedOnTheWay() async throws {
        let python = try requireTool("python3", package: "python3")
        let work = try TemporaryDirectory("ground-control-tamper")
        defer { work.remove() }
        let server = try await GroundControlProcess(directory: work, adminToken: "admin")
        let admin = ["Authorization": "Bearer admin"]
        _ = try await httpSend(
            "PUT", "\(server.baseURL)/api/v1/registries/central", headers: admin,
            body: Data(#"{"url":"http://127.0.0.1:1"}"#.utf8))
        let group =
            #"""
            {"registry":"central","artifacts":[{"repository":"apps/web",\#
            "digest":"sha256:\#(String(repeating: "ab", count: 32))"}]}
            """#
        _ = try await httpSend("PUT", "\(server.baseURL)/api/v1/groups/edge", headers: admin, body: Data(group.utf8))
        let created = try await httpSend(
            "POST", "\(server.baseURL)/api/v1/satellites", headers: admin,
            body: Data(#"{"name":"s1","groups":["edge"]}"#.utf8))
        let token = try APIJSON.decoder().decode(RegistrationToken.self, from: created.body).token
        let serverPort = try require(server.baseURL.split(separator: ":").last.map(String.init), "a port")
        let proxy = try ChildProcess(
            python, ["\(RealClientTests.scripts)/tampering-proxy.py", serverPort], logDirectory: work.path)
        defer { Task { await proxy.stop() } }
        try await poll("the proxy to listen") { proxy.output.hasPrefix("port ") }
        let proxyPort = try require(
            proxy.output.split(separator: "\n").first?.split(separator: " ").last, "a proxy port")

        let agent = try await SatelliteAgent(
            state: nil, source: ["--ground-control", "http://127.0.0.1:\(proxyPort)", "--token", token])
        defer {
            Task {
                await agent.child.stop(); agent.directory.remove()
            }
        }
        try await poll("the satellite to refuse the tampered state") {
            agent.child.errorOutput.contains("not signed by Ground Control's key")
        }
        #expect(proxy.output.contains("tampered"))
        #expect(!FileManager.default.fileExists(atPath: agent.dataDirectory + "/ground-control-state.signed"))
        // Its heartbeats still arrive: the fleet view shows it online, with nothing applied.
        try await poll("the refusing satellite to show as behind") {
            let view = try APIJSON.decoder().decode(
                SatelliteView.self,
                from: try await httpGet("\(server.baseURL)/api/v1/satellites/s1", headers: admin).body)
            return view.state == "online" && view.drift.behind && view.appliedGeneration == 0
        }
        await agent.child.stop()
        await proxy.stop()
        await server.stop()
    }
}

extension GroundControlProgramTests {
    /// A saved state changed on disk while the satellite was stopped is refused after a restart
    /// (its signature no longer verifies): nothing is applied or pruned, what the store holds is
    /// served, and `satellite status` says why.
    @Test func aTamperedSavedStateIsRefusedAfterARestart() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "library/app:1")
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            let token = try await defineFleet(server, upstream: upstream, work: work, artifacts: ["library/app:1"])
            let agent = try await SatelliteAgent(
                state: nil, source: ["--ground-control", server.baseURL, "--token", token])
            defer { agent.terminate() }
            try await agent.waitForStatus("the first sync", timeout: .seconds(60)) {
                $0.allSynced && $0.digest(of: "central/library/app", tag: "1") != nil
            }
            await agent.child.stop()
            await server.stop()

            // The saved state now names nothing: applied, it would prune library/app.
            // It is one file: the signature's line, then the document as Ground Control sent it.
            let saved = agent.dataDirectory + "/ground-control-state.signed"
            let contents = try Data(contentsOf: URL(fileURLWithPath: saved))
            let newline = try require(contents.firstIndex(of: UInt8(ascii: "\n")), "a signature line")
            var state = try APIJSON.decoder().decode(DesiredState.self, from: contents[(newline + 1)...])
            state.artifacts = []
            try (contents[...newline] + APIJSON.encoder().encode(state)).write(to: URL(fileURLWithPath: saved))

            let again = try await SatelliteAgent(
                state: nil, directory: agent.directory, source: ["--ground-control", server.baseURL])
            defer { again.child.signal(SIGKILL) }
            let status = try await again.waitForStatus("the refusal") { $0.stateError != nil }
            #expect(status.stateError?.contains("signature does not verify") == true, "\(status)")
            try await poll("the refusal in the log") { again.child.errorOutput.contains("signature does not verify") }
            // Nothing was pruned: the image is still served and still in the inventory.
            let pulled = try await httpGet(
                "\(again.baseURL)/v2/library/app/manifests/1", headers: ["Accept": images.first.mediaType])
            #expect(pulled.status == 200 && pulled.headers["docker-content-digest"] == images.first.digest.string)
            #expect(try await again.status().digest(of: "central/library/app", tag: "1") == images.first.digest.string)
            await upstream.cleanUp()
        }
    }
}
