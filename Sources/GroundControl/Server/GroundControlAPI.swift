import Crypto
import FleetAPI
import FleetDomain
import FleetIdentity
import Foundation
import HTTPServerSupport
import Hummingbird
import Logging
import NIOCore
import SatelliteProtocol
import Synchronization

/// The handlers of API v1 (DESIGN.md §5.3), shared by the admin and satellite routes.
struct GroundControlAPI: Sendable {
    let fleet: Fleet
    let watcher: RevisionWatcher
    let resolver: TagResolver
    let cache: FleetCache
    let heartbeats: HeartbeatWriter
    let metrics: GroundControlMetrics
    let keys: SigningKeys
    let bodyLimit: Int
    /// Longest `?wait=` a long-poll may ask for, in seconds.
    let longestWait: Int
    let cadence: SatelliteCadence
    let statusDigests = StatusDigests()
    let templates: DashboardTemplates
    /// The OIDC provider people may log in through, when one is configured.
    let oidc: OIDCProvider?
    /// How satellites authenticate, and their certificates when the listener asks for them.
    let satelliteAuth: SatelliteAuthMode
    let certificates: SatelliteCertificates?
    /// The whole fleet's views for the pages and `/metrics`, shared by everyone asking.
    let fleetViews = FleetViewCache()

    /// Every satellite's view, at most two seconds old.
    func satelliteViews() async throws -> [SatelliteView] {
        try await fleetViews.views { [fleet] in try await fleet.satellites.all() }
    }

    /// A satellite's request: who it is, its row, and the configuration, mostly from the cache.
    struct SatelliteRequest: Sendable {
        let name: ResourceName
        var satellite: SatelliteStateInputs
        var configuration: FleetConfiguration
        /// The watcher's revision when these were read.
        var observed: Int64
    }

    /// Satellite routes accept only satellites: by the client certificate of the request's
    /// connection (valid now, or ended less than `grace` ago), or by a credential.
    func requireSatellite(
        _ request: Request, channel: any Channel, grace: TimeInterval = 0
    ) async throws
        -> SatelliteRequest
    {
        // Read the watcher first, so a change made meanwhile still wakes a long-poll.
        let observed = watcher.latest
        // Bring the cache's satellite revisions up to this fleet revision before trusting it.
        _ = try await cache.configuration(key: observed)
        let identity = try await satelliteIdentity(request, channel: channel, grace: grace)
        let satellite = try await inputs(of: identity.name)
        let configuration = try await cache.configuration(key: observed, covering: satellite)
        return SatelliteRequest(
            name: identity.name, satellite: satellite, configuration: configuration, observed: observed)
    }

    private func satelliteIdentity(
        _ request: Request, channel: any Channel, grace: TimeInterval
    ) async throws -> Fleet.SatelliteIdentity {
        // A certificate presented is the only proof looked at: one refused is not made good by a credential.
        if let certificates, let peer = await PeerCertificate.of(channel) {
            let presented = try certificates.identity(of: peer, now: Date(), grace: grace)
            let proof = SatelliteProof.certificate(serial: presented.serial, id: presented.id.description)
            if let known = cache.identity(of: proof) { return known }
            let identity = try await fleet.authenticateSatellite(certificate: presented)
            cache.remember(identity, for: proof)
            return identity
        }
        guard satelliteAuth != .mtls else {
            throw GroundControlError(
                .unauthorized,
                """
                this Ground Control takes satellites by client certificate only (--satellite-auth mtls); none was \
                presented
                """
            )
        }
        guard let credential = Self.bearer(request) else {
            throw GroundControlError(
                .unauthorized, "a satellite credential is required (Authorization: Bearer <credential>)")
        }
        let proof = SatelliteProof.credential(hash: Secret.hash(credential))
        if let known = cache.identity(of: proof) { return known }
        let identity = try await fleet.authenticateSatellite(credential: credential)
        cache.remember(identity, for: proof)
        return identity
    }

    /// The satellite's row, from the cache while its revision has not moved. A satellite deleted
    /// while its request waited is a credential that no longer works, not a missing resource.
    func inputs(of name: ResourceName) async throws -> SatelliteStateInputs {
        if let known = cache.inputs(of: name.value) { return known }
        let satellite: SatelliteStateInputs
        do {
            satellite = try await fleet.stateInputs(of: name)
        } catch let error as GroundControlError where error.code == .satelliteUnknown {
            throw GroundControlError(.unauthorized, "the satellite credential is unknown or revoked")
        }
        cache.remember(satellite)
        return satellite
    }

    static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The `{name}` path parameter, validated.
    static func name(_ context: some RequestContext, _ parameter: String = "name", kind: String) throws -> ResourceName
    {
        try ResourceName(context.parameters.get(parameter) ?? "", kind: kind)
    }
}

/// The Ed25519 key pair, loaded from the database when the server starts.
/// The key's raw bytes are kept, not the key: swift-crypto's key type is not `Sendable`.
package final class SigningKeys: Sendable {
    private let state = Mutex<(raw: Data, publicKey: String)?>(nil)

    package init() {}

    func set(_ key: Curve25519.Signing.PrivateKey) {
        let value = (key.rawRepresentation, key.publicKey.rawRepresentation.base64EncodedString())
        state.withLock { $0 = value }
    }

    func get() throws -> Curve25519.Signing.PrivateKey {
        guard let raw = state.withLock({ $0?.raw }),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw GroundControlError(.unavailable, "Ground Control is still starting")
        }
        return key
    }

    var publicKey: String? { state.withLock { $0?.publicKey } }
}
