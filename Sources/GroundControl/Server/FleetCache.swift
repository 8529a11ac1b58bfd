import FleetDomain
import Foundation
import SatelliteProtocol
import Synchronization

/// What satellite requests need, held in memory: the fleet configuration (loaded once per fleet
/// revision), each satellite's revision, its row, the credentials seen, and signed documents
/// (encoded and signed once for all satellites with the same groups, settings and generation).
///
/// An entry about a satellite is trusted only while the satellite's revision has not moved past
/// it, and every change to a satellite's groups, settings, status or secrets stamps a new revision,
/// which reaches this cache with the next fleet revision the watcher reads. So ten thousand
/// long-polls woken by one change, and steady heartbeats, cost no queries.
///
/// A lock rather than an actor: every access is a few dictionary operations, and a woken herd of
/// long-polls queued on an actor would hold heartbeats up behind it.
package final class FleetCache: Sendable {
    struct Signed: Sendable {
        let document: Data
        let signature: String
        let generation: Int64
    }

    private struct State {
        /// The configuration and the watcher revision it was loaded for.
        var current: (key: Int64, configuration: FleetConfiguration)?
        var loading: (key: Int64, task: Task<Loaded, any Error>)?
        var documents: [String: Signed] = [:]
        /// Each satellite's revision as of the last load; only changed rows are read after the first.
        var revisions: [String: Int64] = [:]
        var revisionsAt: Int64 = -1
        var identities: [String: Fleet.SatelliteIdentity] = [:]
        var inputs: [String: SatelliteStateInputs] = [:]

        func isCurrent(_ name: String, _ revision: Int64) -> Bool { (revisions[name] ?? 0) <= revision }
    }

    private let fleet: Fleet
    private let keys: SigningKeys
    private let state = Mutex(State())

    package init(fleet: Fleet, keys: SigningKeys) {
        self.fleet = fleet
        self.keys = keys
    }

    /// A configuration and the satellites whose revision moved since the last one.
    private struct Loaded: Sendable {
        let configuration: FleetConfiguration
        let revisions: [(String, Int64)]
    }

    /// The configuration for watcher revision `key`, reloaded when older than `satellite` needs.
    package func configuration(
        key: Int64, covering satellite: SatelliteStateInputs? = nil
    ) async throws -> FleetConfiguration {
        let known: FleetConfiguration? = state.withLock { state in
            guard let current = state.current, current.key == key, satellite.map(current.configuration.covers) ?? true
            else { return nil }
            return current.configuration
        }
        if let known { return known }
        // One load per key, shared by every request that arrives meanwhile.
        let task = state.withLock { state in
            if let loading = state.loading, loading.key == key { return loading.task }
            let task = load(since: state.revisionsAt)
            state.loading = (key, task)
            return task
        }
        var loaded = try await task.value
        if let satellite, !loaded.configuration.covers(satellite) {
            // That load predates this satellite's latest change: read once more.
            loaded = try await load(since: state.withLock { $0.revisionsAt }).value
        }
        install(loaded, key: key)
        return loaded.configuration
    }

    private func load(since: Int64) -> Task<Loaded, any Error> {
        Task { [fleet] in
            let configuration = try await fleet.configuration()
            return Loaded(configuration: configuration, revisions: try await fleet.satelliteRevisions(after: since))
        }
    }

    private func install(_ loaded: Loaded, key: Int64) {
        state.withLock { state in
            for (name, revision) in loaded.revisions {
                state.revisions[name] = max(state.revisions[name] ?? 0, revision)
            }
            state.revisionsAt = max(state.revisionsAt, loaded.configuration.revision)
            if (state.current?.configuration.revision ?? -1) <= loaded.configuration.revision {
                if state.current?.configuration.revision != loaded.configuration.revision {
                    state.documents.removeAll()
                }
                state.current = (key, loaded.configuration)
            }
        }
    }

    /// The satellites whose state may differ between fleet revisions `from` and `to`: those whose
    /// own row changed, and the members of the groups that changed (or whose registry did); nil
    /// (all of them) when that cannot be read.
    package func affectedSatellites(from: Int64, to: Int64) async -> Set<String>? {
        guard let configuration = try? await configuration(key: to) else { return nil }
        let changedRows = state.withLock { state in Set(state.revisions.filter { $0.value > from }.keys) }
        guard configuration.contentRevision > from else { return changedRows }
        guard let members = try? await fleet.groups.members(of: configuration.groupsChanged(after: from)) else {
            return nil
        }
        return changedRows.union(members)
    }

    /// The satellite a credential (by its hash) or a certificate (by its serial) was found to
    /// be, while its revision has not moved.
    func identity(of proof: SatelliteProof) -> Fleet.SatelliteIdentity? {
        state.withLock { state in
            guard let identity = state.identities[proof.key],
                state.isCurrent(identity.name.value, identity.revision)
            else { return nil }
            return identity
        }
    }

    func remember(_ identity: Fleet.SatelliteIdentity, for proof: SatelliteProof) {
        state.withLock { state in
            if state.identities.count >= 200_000 { state.identities.removeAll() }
            state.identities[proof.key] = identity
            state.revisions[identity.name.value] = max(state.revisions[identity.name.value] ?? 0, identity.revision)
        }
    }

    func inputs(of name: String) -> SatelliteStateInputs? {
        state.withLock { state in
            guard let satellite = state.inputs[name], state.isCurrent(name, satellite.revision) else { return nil }
            return satellite
        }
    }

    func remember(_ satellite: SatelliteStateInputs) {
        state.withLock { state in
            state.inputs[satellite.name] = satellite
            state.revisions[satellite.name] = max(state.revisions[satellite.name] ?? 0, satellite.revision)
        }
    }

    /// The satellite's signed document under `configuration` (encoded and signed outside the lock).
    func signedState(_ satellite: SatelliteStateInputs, _ configuration: FleetConfiguration) throws -> Signed {
        let generation = configuration.generation(of: satellite)
        let key = [
            satellite.name, "\(configuration.revision)", "\(generation)", satellite.groups.joined(separator: ","),
            satellite.settingsJSON, satellite.site?.cacheKey ?? "", satellite.robotsCacheKey,
        ].joined(separator: "|")
        if let signed = state.withLock({ $0.documents[key] }) { return signed }
        let signingKey = try keys.get()
        let desired = configuration.desiredState(
            of: satellite, signingKey: signingKey, members: fleet.identity.satellitePattern)
        let document = try APIJSON.encoder().encode(desired)
        let signed = Signed(
            document: document, signature: try StateSignature.sign(document, with: signingKey), generation: generation)
        state.withLock { state in
            if state.documents.count >= 10_000 { state.documents.removeAll() }
            state.documents[key] = signed
        }
        return signed
    }
}

/// What a satellite proved itself with, as the cache keys it.
enum SatelliteProof: Sendable {
    case credential(hash: String)
    /// By serial and name: an operator's bundle may hold several authorities.
    case certificate(serial: String, id: String)

    var key: String {
        switch self {
        case .credential(let hash): "credential:" + hash
        case .certificate(let serial, let id): "certificate:" + serial + " " + id
        }
    }
}
