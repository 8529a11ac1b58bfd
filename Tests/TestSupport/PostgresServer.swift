import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server on 127.0.0.1, a free port and a temp directory, started once per
/// test process and stopped when the process exits. Each test takes a fresh database from it.
public actor PostgresServer {
    public static let shared = PostgresServer()

    /// The one start, shared by every test that asks while it runs.
    private var starting: Task<Int, any Error>?
    private var databases = 0

    /// A new empty database: `postgres://postgres@127.0.0.1:PORT/NAME?sslmode=disable`.
    public func makeDatabase() async throws -> String {
        let port = try await start()
        databases += 1
        let name = "fleet_\(getpid())_\(databases)"
        try await Self.psql(port: port, database: "postgres", ["-c", "CREATE DATABASE \(name)"])
        return "postgres://postgres@127.0.0.1:\(port)/\(name)?sslmode=disable"
    }

    /// Runs a PostgreSQL client program (psql, pg_dump, pg_restore) against a database URL made
    /// by `makeDatabase`; returns its standard output.
    @discardableResult
    public nonisolated func client(
        _ program: String, database url: String, _ arguments: [String]
    ) async throws -> String {
        guard let components = URLComponents(string: url), let port = components.port else {
            throw TestSupportError("not a database URL of this server: \(url)")
        }
        let name = String(components.path.dropFirst())
        let database = program == "pg_restore" ? ["--dbname", name] : program == "psql" ? ["-d", name] : [name]
        return try await runChecked(
            try Self.binary(program), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres"] + arguments + database)
    }

    private static func psql(port: Int, database: String, _ arguments: [String]) async throws {
        try await runChecked(
            try binary("psql"),
            [
                "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1",
            ] + arguments)
    }

    private func start() async throws -> Int {
        if let starting { return try await starting.value }
        let task = Task { try await Self.launch() }
        starting = task
        return try await task.value
    }

    private static func launch() async throws -> Int {
        let initdb = try binary("initdb")
        let postgres = try binary("postgres")
        let directory = try TemporaryDirectory("postgres")
        let data = directory.appending("data")
        // PostgreSQL refuses to run as root: run it as the postgres user, who must own the files.
        let asPostgres: [String] =
            getuid() == 0
            ? [
                try requireTool("setpriv", package: "util-linux"), "--reuid=postgres", "--regid=postgres",
                "--init-groups", "--",
            ] : []
        if getuid() == 0 {
            try await runChecked("/bin/chown", ["-R", "postgres:postgres", directory.path])
        }
        func command(_ program: String, _ arguments: [String]) -> (String, [String]) {
            asPostgres.isEmpty
                ? (program, arguments) : (asPostgres[0], Array(asPostgres.dropFirst()) + [program] + arguments)
        }
        let (initProgram, initArguments) = command(
            initdb, ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        try await runChecked(initProgram, initArguments)
        let port = try freePort()
        let (program, arguments) = command(
            postgres,
            [
                "-D", data, "-p", String(port), "-k", directory.path, "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off", "-c", "max_connections=200", "-c", "log_min_messages=warning",
            ])
        let process = try ChildProcess(program, arguments, logDirectory: directory.path)
        let psql = try binary("psql")
        try await poll("PostgreSQL to accept connections on \(port)", timeout: .seconds(60)) {
            guard process.isRunning else {
                throw TestSupportError("PostgreSQL exited: \(process.errorOutput)")
            }
            return
                (try? await run(
                    psql, ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-c", "SELECT 1"]
                ).status) == 0
        }
        stopAtExit(pid: process.pid, directory: directory.path)
        return port
    }

    /// Finds a PostgreSQL program under /usr/lib/postgresql/<newest version>/bin (Debian's layout,
    /// which skips the version-picking wrappers in /usr/bin), else in PATH.
    public static func binary(_ name: String) throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted {
            (Int($0) ?? 0) > (Int($1) ?? 0)
        }
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/\(name)") {
            return "\(root)/\(version)/bin/\(name)"
        }
        if let path = try? requireTool(name, package: "postgresql") { return path }
        throw TestSupportError(
            "\(name) is not installed: run scripts/test.sh, which installs it (apt-get install postgresql)")
    }

    private nonisolated(unsafe) static var serverPID: pid_t = 0
    private nonisolated(unsafe) static var serverDirectory: UnsafeMutablePointer<CChar>?

    /// Swift Testing has no process-wide teardown; `atexit` stops the server and removes its files.
    private static func stopAtExit(pid: pid_t, directory: String) {
        serverPID = pid
        serverDirectory = strdup(directory)
        atexit {
            guard PostgresServer.serverPID > 0 else { return }
            // SIGQUIT: immediate shutdown; the data is thrown away anyway.
            kill(PostgresServer.serverPID, SIGQUIT)
            var status: Int32 = 0
            for _ in 0..<200 where waitpid(PostgresServer.serverPID, &status, WNOHANG) == 0 {
                usleep(25_000)
            }
            if let directory = PostgresServer.serverDirectory {
                try? FileManager.default.removeItem(atPath: String(cString: directory))
            }
        }
    }
}
