import Foundation

/// CRI-O and podman (containers/image): one drop-in of `[[registry]]` entries with their
/// `[[registry.mirror]]`s, and the satellite's CA where containers look for it.
///
/// Spec: containers-registries.conf(5), containers-registries.conf.d(5), containers-certs.d(5).
enum ContainersRegistriesConfig {
    static let dropIn = "etc/containers/registries.conf.d/50-satellite.conf"

    static func edits(_ plan: MirrorPlan) -> [FileEdit] {
        [.owned(dropIn, dropInTOML(plan))] + caCopies(plan, under: "etc/containers/certs.d")
    }

    /// These mirrors send no `ns`, so each names the upstream in its path: `<satellite>/<upstream>`.
    static func dropInTOML(_ plan: MirrorPlan) -> String {
        var text = ownedFileHeader("#", what: "pulls of the registries below go through the satellite first.")
        for registry in plan.registries {
            text += "\n[[registry]]\nprefix = \(tomlString(registry.host))\nlocation = \(tomlString(registry.host))\n"
            if registry.plainHTTP { text += "insecure = true\n" }
            for endpoint in plan.endpoints {
                text +=
                    "\n[[registry.mirror]]\nlocation = \(tomlString("\(endpoint.authority)/\(registry.namespace)"))\n"
                if !endpoint.secure { text += "insecure = true\n" }
            }
        }
        return text
    }
}

/// The satellite's CA as `<directory>/<host:port>/ca.crt` for each TLS satellite: where podman,
/// CRI-O and docker look for a registry's CA.
func caCopies(_ plan: MirrorPlan, under directory: String) -> [FileEdit] {
    guard let ca = plan.ca else { return [] }
    return plan.endpoints.filter(\.secure).map { endpoint in
        FileEdit(path: "\(directory)/\(endpoint.authority)/ca.crt") { _ in ca.pem }
    }
}
