import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import GroundControlClient
import Logging
import SatelliteProtocol
import ServiceLifecycle
import Synchronization
import TestSupport

/// A Ground Control application on SQLite and a free port, served in-process, with an HTTP client.
struct APIHarness: Sendable {
    static let adminToken = "test-admin-token"
    let baseURL: String

    /// Serves a fresh Ground Control for the length of `body`, on a new database or `database`
    /// (a SQLite file that outlives it).
    @discardableResult
    static func run<Value: Sendable>(
        database: String? = nil,
        configure: @Sendable (inout GroundControlServer.Configuration) -> Void = { _ in },
        _ body: @Sendable (APIHarness) async throws -> Value
    ) async throws -> Value {
        let directory = try TemporaryDirectory("ground-control")
        defer { directory.remove() }
        var logger = Logger(label: "ground-control-test")
        logger.logLevel = .warning
        var configuration = GroundControlServer.Configuration(host: "127.0.0.1", port: 0, adminToken: adminToken)
        configure(&configuration)
        let port = Mutex<Int?>(nil)
        let application = try GroundControlServer.makeApplication(
            store: try SQLiteFleetStore(path: database ?? directory.appending("fleet.sqlite"), secrets: .forTests),
            configuration: configuration,
            logger: logger,
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } })
        let group = ServiceGroup(configuration: .init(services: [.init(service: application)], logger: logger))
        let serving = Task { try await group.run() }
        do {
            // Generous: the whole suite starts at once on two cores, and an in-process server's
            // start waits for cooperative threads that the heaviest tests hold for a while.
            try await poll("Ground Control to listen", timeout: .seconds(120)) { port.withLock { $0 } != nil }
            let harness = APIHarness(baseURL: "http://127.0.0.1:\(port.withLock { $0 } ?? 0)")
            try await poll("Ground Control to be ready", timeout: .seconds(120)) {
                (try? await harness.send("GET", "/readyz").status) == 200
            }
            let result = try await body(harness)
            await group.triggerGracefulShutdown()
            try await serving.value
            return result
        } catch {
            await group.triggerGracefulShutdown()
            _ = await serving.result
            throw error
        }
    }

    /// Sends a request; `token` nil sends no Authorization header.
    func send(
        _ method: String, _ path: String, token: String? = nil, json: String? = nil, body: Data? = nil,
        headers: [String: String] = [:]
    ) async throws -> GroundControlClient.Reply {
        try await GroundControlClient(baseURL: baseURL).send(
            method, path, bearer: token, headers: headers, body: json.map { Data($0.utf8) } ?? body,
            timeout: .seconds(60))
    }

    func admin(_ method: String, _ path: String, json: String? = nil) async throws -> GroundControlClient.Reply {
        try await send(method, path, token: Self.adminToken, json: json)
    }

    /// People `vera` (viewer) and `olga` (operator) with `password`, and a personal token of each.
    func viewerAndOperatorTokens(password: String) async throws -> (viewer: String, operator: String) {
        var tokens: [String] = []
        for (name, role) in [("vera", "viewer"), ("olga", "operator")] {
            _ = try await admin("PUT", "/api/v1/users/\(name)", json: #"{"role":"\#(role)","password":"\#(password)"}"#)
            let basic = "Basic " + Data("\(name):\(password)".utf8).base64EncodedString()
            tokens.append(
                try await send("POST", "/api/v1/tokens", headers: ["Authorization": basic]).decode(PersonalToken.self)
                    .token)
        }
        return (tokens[0], tokens[1])
    }

    /// A registry, a group with one digest-pinned image, and a registered satellite `s1`;
    /// returns the satellite's registration.
    func seedRegisteredSatellite() async throws -> RegistrationResponse {
        let digest = "sha256:" + String(repeating: "cd", count: 32)
        _ = try await admin(
            "PUT", "/api/v1/registries/central",
            json: #"{"url":"http://127.0.0.1:5000","username":"robot","password":"s3cret"}"#)
        _ = try await admin(
            "PUT", "/api/v1/groups/edge",
            json: #"{"registry":"central","artifacts":[{"repository":"apps/web","digest":"\#(digest)"}]}"#)
        let token = try await admin("POST", "/api/v1/satellites", json: #"{"name":"s1","groups":["edge"]}"#).decode(
            RegistrationToken.self)
        return try await send("POST", "/api/v1/register", json: #"{"token":"\#(token.token)"}"#).decode(
            RegistrationResponse.self)
    }
}

extension GroundControlClient.Reply {
    /// The API error body, which every refusal must carry.
    var error: APIErrorBody? { try? decode(APIErrorBody.self) }
}
