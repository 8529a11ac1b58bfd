import FleetAPI
import Foundation
import SatelliteProtocol
import TestSupport

/// Satellites simulated over Ground Control's API, for rollout tests: each created and
/// registered, then applying whatever state it is given at once.
enum SimulatedMembers {
    /// Creates each satellite in group `group` through `creating` and registers it through
    /// `registering`; returns each one's credential.
    static func register(
        _ names: [String], group: String, creating: String, registering: String, headers: [String: String]
    ) async throws -> [String: String] {
        var credentials: [String: String] = [:]
        for name in names {
            let created = try await httpSend(
                "POST", "\(creating)/api/v1/satellites", headers: headers,
                body: Data(#"{"name":"\#(name)","groups":["\#(group)"]}"#.utf8))
            let token = try APIJSON.decoder().decode(RegistrationToken.self, from: created.body).token
            let registered = try await httpSend(
                "POST", "\(registering)/api/v1/register", body: Data(#"{"token":"\#(token)"}"#.utf8))
            credentials[name] = try APIJSON.decoder().decode(RegistrationResponse.self, from: registered.body)
                .credential
        }
        return credentials
    }

    /// Every few hundred milliseconds each member takes its state from the process `servers`
    /// picks for it and reports it applied; `log` hears every generation given.
    static func apply(
        _ credentials: [String: String], servers: ServerList, pause: Duration = .milliseconds(200),
        log: GenerationLog? = nil
    ) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                for (name, credential) in credentials {
                    guard let url = servers.pick(name) else { continue }
                    let bearer = ["Authorization": "Bearer \(credential)"]
                    guard let state = try? await httpGet("\(url)/api/v1/state", headers: bearer),
                        let desired = try? APIJSON.decoder().decode(DesiredState.self, from: state.body)
                    else { continue }
                    log?.saw(desired.generation, at: name)
                    let report = StatusReport(
                        generation: desired.generation, inventory: desired.artifacts.compactMap(\.digest),
                        lastSync: SyncResult(succeeded: true, finishedAt: Date()))
                    guard let body = try? APIJSON.encoder().encode(report) else { continue }
                    _ = try? await httpSend(
                        "POST", "\(url)/api/v1/status",
                        headers: bearer.merging(["Content-Type": "application/json"]) { $1 }, body: body)
                }
                try? await Task.sleep(for: pause)
            }
        }
    }
}

/// What each simulated member was given, and any time that went back.
final class GenerationLog: @unchecked Sendable {
    private let lock = NSLock()
    private var highest: [String: Int64] = [:]
    private var falls: [String] = []

    func saw(_ generation: Int64, at member: String) {
        lock.withLock {
            if let before = highest[member], generation < before {
                falls.append("\(member): \(before) → \(generation)")
            }
            highest[member] = max(highest[member] ?? 0, generation)
        }
    }

    var fell: [String] { lock.withLock { falls } }
}
