import Foundation
import SatelliteProtocol

/// What satellite requests need, held in memory: the fleet configuration (loaded once per fleet
/// revision), each satellite's revision, its row, the credentials seen, and signed documents
/// (encoded and signed once for all satellites with the same groups, settings and generation).
///
/// An entry about a satellite is trusted only while the satellite's revision has not moved past
/// it, and every change to a satellite's groups, settings, status or secrets stamps a new revision,
/// which reaches this cache with the next fleet revision the watcher reads. So ten thousand
/// long-polls woken by one change, and steady heartbeats, cost no queries.
actor FleetCache {
    struct Signed: Sendable {
        let document: Data
        let signature: String
        let generation: Int64
    }

    private let fleet: Fleet
    private let keys: SigningKeys
    /// The configuration and the watcher revision it was loaded for.
    private var current: (key: Int64, configuration: FleetConfiguration)?
    private var loading: (key: Int64, task: Task<FleetConfiguration, any Error>)?
    private var documents: [String: Signed] = [:]
    /// Each satellite's revision as of the last load; only changed rows are read after the first.
    private var revisions: [String: Int64] = [:]
    private var revisionsAt: Int64 = -1
    private var identities: [String: Fleet.SatelliteIdentity] = [:]
    private var inputs: [String: SatelliteStateInputs] = [:]

    init(fleet: Fleet, keys: SigningKeys) {
        self.fleet = fleet
        self.keys = keys
    }

    /// The configuration for watcher revision `key`, reloaded when older than `satellite` needs.
    func configuration(key: Int64, covering satellite: SatelliteStateInputs? = nil) async throws -> FleetConfiguration {
        if let current, current.key == key, satellite.map(current.configuration.covers) ?? true {
            return current.configuration
        }
        if let loading, loading.key == key {
            let configuration = try await loading.task.value
            if satellite.map(configuration.covers) ?? true { return configuration }
        }
        let task = Task { [fleet] in try await fleet.configuration() }
        loading = (key, task)
        let configuration = try await task.value
        if (current?.configuration.revision ?? -1) < configuration.revision {
            current = (key, configuration)
            documents.removeAll()
            for (name, revision) in try await fleet.satelliteRevisions(after: revisionsAt) {
                revisions[name] = max(revisions[name] ?? 0, revision)
            }
            revisionsAt = max(revisionsAt, configuration.revision)
        }
        return configuration
    }

    /// Whether what was read of a satellite at `revision` is still current.
    private func isCurrent(_ name: String, _ revision: Int64) -> Bool {
        (revisions[name] ?? 0) <= revision
    }

    func identity(credentialHash: String) -> Fleet.SatelliteIdentity? {
        guard let identity = identities[credentialHash], isCurrent(identity.name.value, identity.revision) else { return nil }
        return identity
    }

    func remember(_ identity: Fleet.SatelliteIdentity, credentialHash: String) {
        if identities.count >= 200_000 { identities.removeAll() }
        identities[credentialHash] = identity
        revisions[identity.name.value] = max(revisions[identity.name.value] ?? 0, identity.revision)
    }

    func inputs(of name: String) -> SatelliteStateInputs? {
        guard let satellite = inputs[name], isCurrent(name, satellite.revision) else { return nil }
        return satellite
    }

    func remember(_ satellite: SatelliteStateInputs) {
        inputs[satellite.name] = satellite
        revisions[satellite.name] = max(revisions[satellite.name] ?? 0, satellite.revision)
    }

    /// The satellite's signed document under `configuration`.
    func signedState(_ satellite: SatelliteStateInputs, _ configuration: FleetConfiguration) throws -> Signed {
        let generation = configuration.generation(of: satellite)
        let key = "\(configuration.revision)|\(generation)|\(satellite.groups.joined(separator: ","))|\(satellite.settingsJSON)"
        if let signed = documents[key] { return signed }
        let state = configuration.desiredState(satelliteRevision: satellite.revision, groups: satellite.groups, settings: satellite.settings)
        let document = try APIJSON.encoder().encode(state)
        let signed = Signed(document: document, signature: try StateSignature.sign(document, with: keys.get()), generation: generation)
        if documents.count >= 10_000 { documents.removeAll() }
        documents[key] = signed
        return signed
    }
}
