import Crypto
import FleetAPI
import FleetIdentity
import Foundation
import OCI
import SatelliteProtocol

/// A satellite's site as its desired state needs it.
public struct SiteMembership: Sendable, Equatable {
    public let name: String
    /// Moves on at every rotation; the credential is derived from it.
    public let epoch: Int64
    /// The other registered members' advertised addresses, sorted.
    public let peers: [String]
    /// The other registered members' names, sorted, advertising or not: each may fetch from
    /// this one, by its certificate.
    public let members: [String]
    /// The sync windows members follow unless they set their own.
    public let settings: SiteSettings?

    init(name: String, epoch: Int64, members: [SiteMember], settings: SiteSettings? = nil) {
        self.name = name
        self.epoch = epoch
        self.settings = settings
        peers = members.compactMap(\.advertisedURL).sorted()
        self.members = members.map(\.name)
    }

    /// The `site:` and `peers:` of the state: the credential of this epoch, and the previous
    /// one while members that have not taken the new state still present it; with satellites'
    /// certificates named by `pattern`, the other members' SPIFFE IDs.
    func stateFields(
        signingKey: Curve25519.Signing.PrivateKey, pattern: SPIFFEIDPattern?
    ) -> (site: DesiredState.Site, peers: [DesiredState.Peer]) {
        var site = DesiredState.Site(
            name: name, credential: Self.credential(site: name, epoch: epoch, signingKey: signingKey),
            previousCredential: epoch > 0 ? Self.credential(site: name, epoch: epoch - 1, signingKey: signingKey) : nil)
        if let pattern {
            // Names were checked as resource names, which a SPIFFE path segment always takes.
            site.memberIDs = members.compactMap { try? pattern.id(of: $0).description }
        }
        return (site, peers.map { DesiredState.Peer(url: $0) })
    }

    /// The credential of a site at an epoch: an HMAC under a key derived from Ground Control's
    /// signing key, so none is stored and every Ground Control process derives the same.
    static func credential(site: String, epoch: Int64, signingKey: Curve25519.Signing.PrivateKey) -> String {
        let key = SymmetricKey(
            data: SHA256.hash(data: Data("harbor-satellite site credentials v1".utf8) + signingKey.rawRepresentation))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(site)|\(epoch)".utf8), using: key)
        return "site_" + Data(mac).base64URL
    }

    /// Distinguishes documents in the signed-state cache.
    package var cacheKey: String {
        let windows = (settings?.syncWindows ?? []).joined(separator: ";") + "|" + (settings?.outsideWindow ?? "")
        return "\(name)|\(epoch)|\(peers.joined(separator: ","))|\(members.joined(separator: ","))|\(windows)"
    }
}

extension SiteService {
    /// Every site with its satellites and their reported traffic, by name.
    public func all() async throws -> [SiteView] {
        var sites: [String: SiteView] = [:]
        for satellite in try await fleet.satellites.all() {
            guard let name = satellite.site else { continue }
            var site =
                sites[name] ?? SiteView(name: name, satellites: [], peers: 0, fromPeersBytes: 0, fromUpstreamBytes: 0)
            site.satellites.append(satellite.name)
            if satellite.advertisedURL != nil && satellite.state != "revoked" && satellite.state != "pending" {
                site.peers += 1
            }
            site.fromPeersBytes += satellite.transfer?.fromPeersBytes ?? 0
            site.fromUpstreamBytes += satellite.transfer?.fromUpstreamBytes ?? 0
            sites[name] = site
        }
        for (name, settings) in try await fleet.store.read({ try await $0.sites.allSettings() }) {
            sites[name]?.settings = settings
        }
        return sites.values.sorted { $0.name < $1.name }
    }

    /// Sets the sync windows a site's members follow unless they have their own; the site need
    /// not have members yet. Its members are stamped: their states carry the windows.
    public func setSettings(
        _ settings: SiteSettings, of name: String, by actor: Fleet.Actor = .admin
    ) async throws -> SiteSettings {
        guard Self.isSiteName(name) else {
            throw GroundControlError(.invalidField, "site: '\(name.prefix(80))' is not a site name")
        }
        let checked = SiteSettings(
            syncWindows: try SyncWindowRules.validated(settings.syncWindows, field: "syncWindows"),
            outsideWindow: try SyncWindowRules.validatedOutsideWindow(settings.outsideWindow, field: "outsideWindow"))
        let empty = checked.syncWindows == nil && checked.outsideWindow == nil
        try await fleet.change(by: actor) { changes in
            try await changes.records.sites.setSettings(empty ? nil : checked, of: name)
            try await changes.touch(site: name)
            changes.audit("site.settings", name, (checked.syncWindows ?? []).joined(separator: "; "))
        }
        return checked
    }

    /// The label whose value puts a satellite in a site.
    public static let siteLabel = "site"

    /// A site's name as a label gives it, and a state's `site.name` takes it.
    static func isSiteName(_ name: String) -> Bool {
        name.utf8.count <= 63 && RepositoryName.isValidComponent(name)
    }

    /// The site a satellite's labels put it in, checked as a state's `site.name` is.
    static func site(in labels: [String: String]) throws(GroundControlError) -> String? {
        guard let site = labels[siteLabel] else { return nil }
        guard isSiteName(site) else {
            throw GroundControlError(
                .invalidField,
                """
                labels.site: must be 1 to 63 lower-case letters and digits, joined by '.', '_', '__' or '-', not \
                '\(site.prefix(80))'
                """
            )
        }
        return site
    }

    /// A site's membership for `satellite`, read in `session`.
    static func membership(
        site: String, excluding satellite: String, _ records: FleetRecords
    ) async throws -> SiteMembership {
        let members = try await records.sites.members(of: site, excluding: satellite)
        return SiteMembership(
            name: site, epoch: try await records.sites.epoch(of: site), members: members,
            settings: try await records.sites.settings(of: site))
    }

    /// Records the address a satellite advertised, when it changed: its site's members list it.
    func recordAdvertisedURL(_ url: String?, of name: ResourceName) async throws {
        try await change(by: .satellite(name.value)) { changes in
            let updated = try await changes.records.satellites.setAdvertisedURL(url, of: name.value)
            try await changes.touch(satellite: name.value)
            if let site = updated?.site {
                try await changes.touch(site: site)
            }
        }
    }
}
