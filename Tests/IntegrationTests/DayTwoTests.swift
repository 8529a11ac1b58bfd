import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport
import Testing

/// Ground Control's day 2: versions, backup and restore on SQLite and PostgreSQL, and upgrades
/// from databases earlier releases made (Tests/IntegrationTests/Fixtures).
@Suite struct DayTwoTests {
    /// Distinct, so a test can look for it in a file's bytes.
    static let registryPassword = "day-two-registry-password"
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        .path

    @Test func everyProgramAnswersVersion() async throws {
        for program in ["satellite", "ground-control", "satctl"] {
            let output = try await runChecked(try productPath(program), ["--version"])
            #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == ReleaseVersion.current, "\(program)")
        }
    }

    @Test func aBackupOfALiveSQLiteFleetRestoresIntoAFreshServer() async throws {
        let work = try TemporaryDirectory("day2-sqlite")
        defer { work.remove() }
        let live = try await GroundControlProcess(directory: work, adminToken: "admin")
        let credential = try await defineAndRegister(live, work: work)
        let before = try await fleetView(live)

        let backup = work.appending("backups/fleet-backup.sqlite")
        let saved = try await groundControl([
            "backup", "--database", "sqlite:\(work.appending("fleet.sqlite"))", "--to", backup,
        ])
        #expect(saved.contains("1 registries, 1 groups, 1 satellites"), "\(saved)")
        #expect(try permissions(backup) == 0o600)
        // A change after the backup is not in it.
        try await satctl(live, token: "admin", ["satellites", "create", "after-the-backup"])
        await live.stop()

        // The backup holds the registry's password only sealed.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: backup))
        #expect(bytes.range(of: Data(Self.registryPassword.utf8)) == nil)

        // Without the key it was written with, a restore says so and writes nothing.
        let restoredPath = work.appending("restored/fleet.sqlite")
        let key = work.appending("secret.key")
        let otherKey = work.appending("other.key")
        let otherBytes = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        #expect(
            FileManager.default.createFile(
                atPath: otherKey, contents: Data(otherBytes.utf8), attributes: [.posixPermissions: 0o600]))
        for keyArguments in [[], ["--secret-key-file", otherKey]] {
            let wrong = try await run(
                try productPath("ground-control"),
                ["restore", "--from", backup, "--database", "sqlite:\(restoredPath)"] + keyArguments)
            #expect(wrong.status != 0 && wrong.error.contains("secret key"), "\(wrong.error)")
            #expect(wrong.error.contains("nothing was changed"), "\(wrong.error)")
            #expect(!FileManager.default.fileExists(atPath: restoredPath))
        }
        try await groundControl([
            "restore", "--from", backup, "--database", "sqlite:\(restoredPath)", "--secret-key-file", key,
        ])
        let refused = try await run(
            try productPath("ground-control"),
            ["restore", "--from", backup, "--database", "sqlite:\(restoredPath)", "--secret-key-file", key])
        #expect(refused.status != 0 && refused.error.contains("--replace"), "\(refused.error)")

        let restoredDirectory = try TemporaryDirectory("day2-restored")
        defer { restoredDirectory.remove() }
        let restored = try await GroundControlProcess(
            directory: restoredDirectory, database: "sqlite:\(restoredPath)", adminToken: "admin",
            secretKeyFile: key)
        defer { Task { await restored.stop() } }
        #expect(try await fleetView(restored) == before)
        try await expectStateServed(restored, credential: credential)
    }

    @Test func aFileThatIsNotABackupIsRefusedAndNothingIsWritten() async throws {
        let work = try TemporaryDirectory("day2-bad")
        defer { work.remove() }
        try Data("not a database\n".utf8).write(to: URL(fileURLWithPath: work.appending("notes.txt")))
        let target = work.appending("fleet.sqlite")
        let result = try await run(
            try productPath("ground-control"),
            ["restore", "--from", work.appending("notes.txt"), "--database", "sqlite:\(target)"])
        #expect(result.status != 0)
        #expect(result.error.contains("not a SQLite database"), "\(result.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == ["notes.txt"])

        let postgres = try await run(
            try productPath("ground-control"),
            ["backup", "--database", "postgres://fleet@db/fleet", "--to", work.appending("x")])
        #expect(postgres.status != 0 && postgres.error.contains("pg_dump"), "\(postgres.error)")
    }

    /// On PostgreSQL the guide says pg_dump and pg_restore; this is that procedure.
    @Test func pgDumpOfALiveFleetRestoresIntoAFreshDatabase() async throws {
        let work = try TemporaryDirectory("day2-postgres")
        defer { work.remove() }
        let source = try await PostgresServer.shared.makeDatabase()
        let live = try await GroundControlProcess(directory: work, database: source, adminToken: "admin")
        let credential = try await defineAndRegister(live, work: work)
        let before = try await fleetView(live)
        let dump = work.appending("fleet.dump")
        try await PostgresServer.shared.client("pg_dump", database: source, ["--format=custom", "--file=\(dump)"])
        await live.stop()

        let target = try await PostgresServer.shared.makeDatabase()
        try await PostgresServer.shared.client("pg_restore", database: target, ["--no-owner", "--exit-on-error", dump])
        let restored = try await GroundControlProcess(directory: work, database: target, adminToken: "admin")
        defer { Task { await restored.stop() } }
        #expect(try await fleetView(restored) == before)
        try await expectStateServed(restored, credential: credential)
    }

    /// Every fixture an earlier release made opens, is migrated, serves its fleet and takes changes.
    @Test func databasesOfEarlierSchemasAreUpgradedOnSQLite() async throws {
        let fixtures = try fixtureFiles(ending: ".sqlite")
        for fixture in fixtures {
            let work = try TemporaryDirectory("day2-upgrade")
            defer { work.remove() }
            try FileManager.default.copyItem(
                atPath: Self.fixtures + "/" + fixture, toPath: work.appending("fleet.sqlite"))
            try copyFixtureKey(of: fixture, to: work)
            let server = try await GroundControlProcess(directory: work, adminToken: "fixture-admin")
            try await expectFixtureFleet(server, fixture: fixture)
            await server.stop()
            // The upgrade sealed the fixture's registry password and signing key in place.
            for file in ["fleet.sqlite", "fleet.sqlite-wal"]
            where FileManager.default.fileExists(atPath: work.appending(file)) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: work.appending(file)))
                for secret in Self.fixtureSecrets {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(fixture): \(file) holds \(secret)")
                }
            }
        }
    }

    /// What make-fleet-fixtures.sh stored in clear, before secrets were sealed.
    static let fixtureSecrets = ["fixture-password", "VGssurBE342M+KVeZf+pP+oMd5l/56aLtv06pRaBhRc="]

    /// `secrets rotate-key` moves every secret to a new key file; the old key then opens nothing,
    /// and a key file others may read is refused.
    @Test func theSecretKeyRotatesToANewFile() async throws {
        let work = try TemporaryDirectory("day2-rotate")
        defer { work.remove() }
        let live = try await GroundControlProcess(directory: work, adminToken: "admin")
        let credential = try await defineAndRegister(live, work: work)
        let before = try await fleetView(live)
        await live.stop()
        let database = "sqlite:\(work.appending("fleet.sqlite"))"
        let oldKey = work.appending("secret.key")
        let newKey = work.appending("keys/new.key")
        let executable = try productPath("ground-control")
        func serve(_ key: String) async throws -> (status: Int32, output: String, error: String) {
            try await run(
                executable, ["serve", "--listen", "127.0.0.1:0", "--database", database, "--secret-key-file", key],
                environment: ["GROUND_CONTROL_ADMIN_TOKEN": "admin"], timeout: .seconds(60))
        }

        #expect(chmod(oldKey, 0o644) == 0)
        let readable = try await run(
            executable,
            ["secrets", "rotate-key", "--database", database, "--secret-key-file", oldKey, "--new-key-file", newKey])
        #expect(readable.status != 0 && readable.error.contains("chmod 600"), "\(readable.error)")
        #expect(!FileManager.default.fileExists(atPath: newKey))
        #expect(chmod(oldKey, 0o600) == 0)

        // A rotation killed after making the new key, or after its commit, is run again as it was.
        try FileManager.default.createDirectory(atPath: work.appending("keys"), withIntermediateDirectories: true)
        let rotate = ["secrets", "rotate-key", "--database", database, "--secret-key-file", oldKey, "--new-key-file"]
        let rotated = try await groundControl(rotate + [newKey])
        #expect(rotated.contains("4 secrets sealed under secret key"), "\(rotated)")
        #expect(try permissions(newKey) == 0o600)
        let again = try await groundControl(rotate + [newKey])
        #expect(again.contains("the database was sealed already"), "\(again)")
        let same = try await run(executable, rotate + [oldKey])
        #expect(same.status != 0 && same.error.contains("holds the current key"), "\(same.error)")

        let stale = try await serve(oldKey)
        #expect(stale.status != 0 && stale.error.contains("was sealed under secret key"), "\(stale.error)")
        let server = try await GroundControlProcess(directory: work, adminToken: "admin", secretKeyFile: newKey)
        defer { Task { await server.stop() } }
        #expect(try await fleetView(server) == before)
        try await expectStateServed(server, credential: credential)
    }

    @Test func databasesOfEarlierSchemasAreUpgradedOnPostgreSQL() async throws {
        for fixture in try fixtureFiles(ending: ".sql") {
            let work = try TemporaryDirectory("day2-upgrade-pg")
            defer { work.remove() }
            let database = try await PostgresServer.shared.makeDatabase()
            try await PostgresServer.shared.client(
                "psql", database: database, ["-q", "-v", "ON_ERROR_STOP=1", "-f", Self.fixtures + "/" + fixture])
            try copyFixtureKey(of: fixture, to: work)
            let server = try await GroundControlProcess(
                directory: work, database: database, adminToken: "fixture-admin")
            try await expectFixtureFleet(server, fixture: fixture)
            await server.stop()
        }
    }

    // MARK: - Helpers

    /// A registry, a group and a registered satellite; returns the satellite's credential.
    func defineAndRegister(_ server: GroundControlProcess, work: TemporaryDirectory) async throws -> String {
        try Data(Self.registryPassword.utf8).write(to: URL(fileURLWithPath: work.appending("password")))
        try await satctl(
            server, token: "admin",
            [
                "registries", "put", "central", "--registry-url", "http://127.0.0.1:9",
                "--username", "robot", "--password-file", work.appending("password"),
            ])
        try await satctl(
            server, token: "admin",
            [
                "groups", "put", "edge", "--registry", "central",
                "--artifact", "library/busybox@sha256:\(String(repeating: "1", count: 64))",
            ])
        let created = try await satctl(
            server, token: "admin",
            ["satellites", "create", "edge-01", "--group", "edge", "--label", "site=a", "--output", "json"])
        let token = try APIJSON.decoder().decode(RegistrationToken.self, from: Data(created.utf8)).token
        let reply = try await httpSend(
            "POST", server.baseURL + "/api/v1/register", headers: ["content-type": "application/json"],
            body: try APIJSON.encoder().encode(RegistrationRequest(token: token)))
        #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        return try APIJSON.decoder().decode(RegistrationResponse.self, from: reply.body).credential
    }

    /// What satctl shows of the fleet, as JSON, to compare two servers.
    func fleetView(_ server: GroundControlProcess, token: String = "admin") async throws -> [String] {
        var views: [String] = []
        for noun in ["registries", "groups", "satellites"] {
            views.append(try await satctl(server, token: token, [noun, "list", "--output", "json"]))
        }
        return views
    }

    /// The satellite's credential still fetches its signed state.
    func expectStateServed(_ server: GroundControlProcess, credential: String) async throws {
        let state = try await httpGet(
            server.baseURL + "/api/v1/state", headers: ["authorization": "Bearer \(credential)"])
        #expect(state.status == 200, "\(String(decoding: state.body, as: UTF8.self))")
    }

    /// The fleet scripts/testing/make-fleet-fixtures.sh defines.
    func expectFixtureFleet(_ server: GroundControlProcess, fixture: String) async throws {
        let satellites = try await satctl(server, token: "fixture-admin", ["satellites", "list", "--output", "json"])
        let views = try APIJSON.decoder().decode([SatelliteView].self, from: Data(satellites.utf8))
        #expect(views.map(\.name).sorted() == ["edge-01", "spare"], "\(fixture)")
        #expect(views.first { $0.name == "edge-01" }?.labels == ["site": "north", "tier": "store"], "\(fixture)")
        let groups = try await satctl(server, token: "fixture-admin", ["groups", "list", "--output", "json"])
        #expect(
            try APIJSON.decoder().decode([GroupView].self, from: Data(groups.utf8)).first?.artifacts.count == 2,
            "\(fixture)")
        // The upgraded database takes changes.
        try await satctl(server, token: "fixture-admin", ["satellites", "create", "after-upgrade", "--group", "edge"])
    }

    /// A fixture from schema 16 on has its secrets sealed under `fleet-schemaN.key`: it goes
    /// where the test's server reads its key, owner-only (git keeps no modes).
    func copyFixtureKey(of fixture: String, to work: TemporaryDirectory) throws {
        let key = Self.fixtures + "/" + (fixture as NSString).deletingPathExtension + ".key"
        guard let bytes = FileManager.default.contents(atPath: key) else { return }
        #expect(
            FileManager.default.createFile(
                atPath: work.appending("secret.key"), contents: bytes, attributes: [.posixPermissions: 0o600]))
    }

    func fixtureFiles(ending suffix: String) throws -> [String] {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).filter { $0.hasSuffix(suffix) }
            .sorted()
        guard !files.isEmpty else { throw TestSupportError("no *\(suffix) fixture in \(Self.fixtures)") }
        return files
    }

    @discardableResult
    func groundControl(_ arguments: [String]) async throws -> String {
        try await runChecked(try productPath("ground-control"), arguments)
    }

    func permissions(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }
}
