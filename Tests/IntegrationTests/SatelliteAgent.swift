import Foundation
import TestSupport

/// A `satellite run` with a state file, on a free port.
final class SatelliteAgent: @unchecked Sendable {
    let child: ChildProcess
    let directory: TemporaryDirectory
    let port: Int
    var host: String { "127.0.0.1:\(port)" }
    var baseURL: String { "http://\(host)" }
    var dataDirectory: String { directory.appending("data") }
    var stateFile: String { directory.appending("state.yaml") }

    /// Starts the agent; `state` is written to the state file first (unless nil: keep the file).
    /// - Parameter source: where the state comes from, instead of the state file (`--ground-control URL`).
    /// - Parameter port: a fixed port, to restart where devices pull from (default: a free one).
    init(
        state: String?, directory existing: TemporaryDirectory? = nil, arguments: [String] = [],
        source: [String]? = nil,
        port fixedPort: Int? = nil
    ) async throws {
        directory = try existing ?? TemporaryDirectory("agent")
        if let state { try Data(state.utf8).write(to: URL(fileURLWithPath: directory.appending("state.yaml"))) }
        // Without a fixed port the satellite takes one itself and says which: a port looked up
        // beforehand may be taken by another test's process before the satellite binds it.
        let child = try ChildProcess(
            try productPath("satellite"),
            [
                "run", "--data-dir", directory.appending("data"), "--listen", "127.0.0.1:\(fixedPort ?? 0)",
                "--log-level", "info",
            ] + (source ?? ["--state-file", directory.appending("state.yaml")]) + arguments,
            logDirectory: directory.path)
        self.child = child
        let serving = try await pollFor("satellite run to listen") { () -> Int? in
            guard child.isRunning else { throw TestSupportError("satellite exited: \(child.errorOutput)") }
            return child.output.firstMatch(of: #/satellite: serving https?://[^ ]+:(\d+) /#).flatMap { Int($0.1) }
        }
        port = fixedPort ?? serving
    }

    func writeState(_ text: String) throws {
        // Written beside and renamed, as an operator's tooling would, so no half file is read.
        let temporary = directory.appending("state.yaml.new")
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        _ = rename(temporary, stateFile)
    }

    /// Waits until `satellite status --output json` satisfies `condition`; returns that status.
    @discardableResult
    func waitForStatus(
        _ what: String, timeout: Duration = .seconds(60), _ condition: @escaping (AgentStatus) -> Bool
    ) async throws -> AgentStatus {
        var last: AgentStatus?
        do {
            try await poll(what, timeout: timeout) {
                guard let status = try? await self.status() else { return false }
                last = status
                return condition(status)
            }
        } catch {
            throw TestSupportError(
                "\(error)\nlast status: \(String(describing: last))\nlog:\n\(child.errorOutput.suffix(3000))")
        }
        return try require(last)
    }

    func status() async throws -> AgentStatus {
        let output = try await runChecked(
            try productPath("satellite"), ["status", "--data-dir", dataDirectory, "--output", "json"])
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(AgentStatus.self, from: Data(output.utf8))
    }

    /// Kills the agent (SIGKILL) and starts it again on its data directory with these settings.
    func killedAndRestarted(
        arguments: [String] = [], source: [String]? = nil, port: Int? = nil
    ) async throws -> SatelliteAgent {
        child.signal(SIGKILL)
        _ = child.isRunning
        return try await SatelliteAgent(
            state: nil, directory: directory, arguments: arguments, source: source, port: port)
    }

    /// Kills the agent and removes its directory; synchronous, for `defer`.
    func terminate() {
        child.signal(SIGKILL)
        _ = child.isRunning
        directory.remove()
    }
}

/// The parts of `status.json` the tests read.
struct AgentStatus: Decodable, CustomStringConvertible {
    struct Sync: Decodable {
        struct Artifact: Decodable {
            let upstream: String?
            let reference: String
            let digest: String?
            let outcome: String
            let error: String?
            let reason: String?
        }
        let generation: Int64
        let finishedAt: Date
        let artifacts: [Artifact]
        let bytesFetched: Int64
        let manifestsFetched: Int
        let blobsFetched: Int
    }
    struct Tagged: Decodable, Equatable {
        let repository: String
        let tag: String
        let digest: String
    }
    struct Transfer: Decodable {
        let fromPeersBytes: Int64
        let fromUpstreamBytes: Int64
        let toPeersBytes: Int64
    }
    /// The sync windows as the agent sees them.
    struct Link: Decodable {
        let windowOpen: Bool
        let windowChangesAt: Date?
        let syncNowOpen: Bool?
        let problems: [String]?
    }
    let stateError: String?
    let revoked: String?
    let lastSync: Sync?
    let transfer: Transfer?
    let link: Link?
    /// Upstream bytes against the budgets.
    struct Meter: Decodable {
        struct Use: Decodable {
            let budget: String
            let usedBytes: Int64
            let exhausted: Bool
        }
        let budgets: [Use]
        let overBudgetBytes: Int64?
    }
    let meter: Meter?
    /// What devices asked for that was not held.
    struct Demand: Decodable {
        struct Entry: Decodable {
            let upstream: String?
            let host: String?
            let repository: String
            let tag: String?
            let misses: Int64
            let denied: Int64
            let notFound: Int64
        }
        let entries: [Entry]
    }
    let demand: Demand?
    let inventory: [Tagged]

    var allSynced: Bool { lastSync.map { $0.artifacts.allSatisfy { $0.outcome == "synced" } } ?? false }
    func digest(of repository: String, tag: String) -> String? {
        inventory.first { $0.repository == repository && $0.tag == tag }?.digest
    }
    var description: String {
        """
        stateError=\(stateError ?? "-") synced=\(allSynced) \
        artifacts=\(lastSync?.artifacts.map { "\($0.reference):\($0.outcome):\($0.error ?? "")" } ?? []) \
        inventory=\(inventory.map { "\($0.repository):\($0.tag)" })
        """
    }
}
