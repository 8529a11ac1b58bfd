import Foundation
import SatelliteProtocol

/// Approval of a satellite's enrolment: whoever holds a satellite's credential reads its desired
/// state, so a credential that an operator's token obtained must not carry what an operator may
/// not read. Until an admin approves it, such a satellite is given no state that holds a
/// registry's password or its site's credential, and its site's members do not list it as a
/// peer (they would present the site's credential to it).
extension SatelliteService {
    /// Lets the satellite's credential, and the unused token if any, have the secrets its state
    /// needs.
    public func approve(_ name: ResourceName, by principal: Principal) async throws {
        guard principal.mayApproveSatellites else {
            throw GroundControlError(
                .forbidden,
                "\(principal.actor) has the role \(principal.role.rawValue); approving a satellite needs admin")
        }
        try await change(by: principal.actor) { changes in
            guard let approved = try await changes.records.satellites.approve(name.value) else {
                throw GroundControlError(.satelliteUnknown, "satellite '\(name)' does not exist")
            }
            try await changes.touch(satellite: name.value)
            // Its site's members list it as a peer from now on.
            if let site = approved.site { try await changes.touch(site: site) }
            changes.audit("satellite.approve", name.value)
        }
    }
}

extension FleetConfiguration {
    /// What of the satellite's state only an admin may read: its groups' registry passwords
    /// (a Harbor's robots are the satellite's own, scoped to its groups' projects) and its
    /// site's credential. Empty when the state holds none.
    func secretsNeedingApproval(of satellite: SatelliteStateInputs) -> [String] {
        var secrets: [String] = []
        let registries = Set(satellite.groups.compactMap { groups[$0]?.registry }).sorted()
        for name in registries {
            guard let registry = self.registries[name], !registry.isHarbor, registry.password != nil else { continue }
            secrets.append("the password of registry '\(name)'")
        }
        if let site = satellite.site { secrets.append("the credential of site '\(site.name)'") }
        return secrets
    }

    /// Refuses the state of a satellite that awaits approval while the state would hold secrets.
    package func requireApproval(of satellite: SatelliteStateInputs) throws(GroundControlError) {
        guard !satellite.approved else { return }
        let secrets = secretsNeedingApproval(of: satellite)
        guard !secrets.isEmpty else { return }
        throw GroundControlError(
            .approvalRequired,
            "satellite '\(satellite.name)' was enrolled with a token an operator issued and awaits an admin's approval "
                + "(satctl satellites approve \(satellite.name)): its state holds \(secrets.joined(separator: " and "))"
        )
    }
}
