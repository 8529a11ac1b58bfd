import Foundation
import SatelliteProtocol

/// Serves signed desired states from memory: the fleet configuration is loaded once per fleet
/// revision, and a document is encoded and signed once for all satellites with the same groups,
/// settings and generation. This is what keeps a fleet's long-polls, all woken by one change,
/// from turning into a query storm.
actor StatePublisher {
    struct Signed: Sendable {
        let document: Data
        let signature: String
        let generation: Int64
    }

    private let fleet: Fleet
    private let keys: SigningKeys
    /// The configuration and the watcher revision it was asked for.
    private var current: (key: Int64, configuration: FleetConfiguration)?
    private var loading: (key: Int64, task: Task<FleetConfiguration, any Error>)?
    private var documents: [String: Signed] = [:]
    /// Each satellite's revision as of the last load; only changed rows are read after the first.
    private var satelliteRevisions: [String: Int64] = [:]
    private var satelliteRevisionsAt: Int64 = -1

    init(fleet: Fleet, keys: SigningKeys) {
        self.fleet = fleet
        self.keys = keys
    }

    /// The configuration for watcher revision `key`, reloaded when it is older than `satellite`.
    func configuration(key: Int64, covering satellite: SatelliteStateInputs) async throws -> FleetConfiguration {
        if let current, current.key == key, current.configuration.covers(satellite) {
            return current.configuration
        }
        if let loading, loading.key == key {
            let configuration = try await loading.task.value
            if configuration.covers(satellite) { return configuration }
        }
        let task = Task { [fleet] in try await fleet.configuration() }
        loading = (key, task)
        let configuration = try await task.value
        if (current?.configuration.revision ?? -1) < configuration.revision {
            current = (key, configuration)
            documents.removeAll()
            let since = satelliteRevisionsAt
            for (name, revision) in try await fleet.satelliteRevisions(after: since) {
                satelliteRevisions[name] = max(satelliteRevisions[name] ?? 0, revision)
            }
            satelliteRevisionsAt = max(satelliteRevisionsAt, configuration.revision)
        }
        return configuration
    }

    /// The satellite's revision as of the last configuration load, without a query: a woken
    /// long-poll needs its own row again only when this moved.
    func knownRevision(of name: String) -> Int64? {
        satelliteRevisions[name]
    }

    /// The satellite's signed document under `configuration`.
    func signedState(_ satellite: SatelliteStateInputs, _ configuration: FleetConfiguration) throws -> Signed {
        let generation = configuration.generation(of: satellite)
        let key = "\(configuration.revision)|\(generation)|\(satellite.groups.joined(separator: ","))|\(satellite.settingsJSON)"
        if let signed = documents[key] { return signed }
        let settings = (try? APIJSON.decoder().decode(SatelliteSettings.self, from: Data(satellite.settingsJSON.utf8))) ?? .defaults
        let state = configuration.desiredState(satelliteRevision: satellite.revision, groups: satellite.groups, settings: settings)
        let document = try APIJSON.encoder().encode(state)
        let signed = Signed(document: document, signature: try StateSignature.sign(document, with: keys.get()), generation: generation)
        if documents.count >= 10_000 { documents.removeAll() }
        documents[key] = signed
        return signed
    }
}
