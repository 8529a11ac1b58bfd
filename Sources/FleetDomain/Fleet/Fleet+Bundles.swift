import Foundation
import OCI
import SatelliteProtocol

/// A bundle's state: the satellite's desired state as signed for it, without registry
/// credentials (a bundle crosses air gaps on media that can be lost; offline, a satellite needs
/// none), and the content a delta may leave out.
public struct BundleState: Sendable {
    /// The state with its credentials, to fetch the content with.
    public let state: DesiredState
    /// The document the bundle carries and Ground Control's signature of it.
    public let document: [UInt8]
    public let signature: String
    /// The digests the base bundle carried (`since`); empty for a full bundle.
    public let base: Set<Digest>
}

extension Fleet {
    /// How many bundles per satellite are remembered as bases for deltas.
    static let bundlesKept = 8

    /// The satellite's state for a bundle; with `since`, what the bundle of that generation held.
    /// The bundle goes to whoever asks for it, so a site's credential goes only to an admin.
    public func bundleState(
        of name: ResourceName, since: Int64?, for principal: Principal = .bootstrapAdmin
    ) async throws -> BundleState {
        let inputs = try await stateInputs(of: name)
        // A revoked satellite gets nothing more, by link or by hand.
        guard inputs.status != "revoked" else {
            throw GroundControlError(
                .revoked,
                "satellite '\(name)' is revoked: issue a token (satctl satellites token) to let it rejoin first")
        }
        if let site = inputs.site, !principal.mayApproveSatellites {
            throw GroundControlError(
                .forbidden,
                """
                satellite '\(name)' is at site '\(site.name)': its bundle carries the site's credential, which \
                only an admin may take
                """
            )
        }
        let state = try await configuration().desiredState(
            of: inputs, signingKey: try await signingKey(), members: identity.satellitePattern)
        var carried = state
        carried.upstreams = state.upstreams.map { upstream in
            var stripped = upstream
            stripped.username = nil
            stripped.password = nil
            stripped.passwordFile = nil
            return stripped
        }
        let document = Array(try APIJSON.encoder().encode(carried))
        let signature = try StateSignature.sign(Data(document), with: try await signingKey())
        var base = Set<Digest>()
        if let since {
            let carried = try await store.read { records in
                try await records.bundles.digests(of: name.value, generation: since)
            }
            guard let carried else {
                throw GroundControlError(
                    .bundleBaseUnknown,
                    """
                    no bundle of generation \(since) was made for satellite '\(name)' (or it is no longer kept): \
                    make a full bundle, without since
                    """
                )
            }
            base = Set(carried.compactMap { try? Digest($0) })
        }
        return BundleState(state: state, document: document, signature: signature, base: base)
    }

    /// Remembers what a bundle carried once it was written out whole; keeps the newest few.
    public func recordBundle(
        of name: ResourceName, generation: Int64, digests: Set<Digest>, since: Int64?, by actor: Actor = .admin
    ) async throws {
        let carried = digests.map(\.string).sorted()
        let at = Self.milliseconds(now())
        try await change(by: actor) { changes in
            try await changes.records.bundles.record(
                of: name.value, generation: generation, at: at, digests: carried, keep: Self.bundlesKept)
            changes.audit(
                "satellite.bundle", name.value,
                since.map { "generation \(generation) since \($0)" } ?? "generation \(generation)")
        }
    }
}
