import Foundation

/// The proxy way (`--via-proxy`): a runtime sends every registry's pulls through the satellite's
/// HTTPS proxy (`HTTPS_PROXY`) and trusts the site CA for each registry the state names (the proxy
/// answers them with certificates the site CA signs). For docker, which mirrors Docker Hub only;
/// podman and CRI-O can take it too where a proxy is the site's rule.
///
/// Spec: https://docs.docker.com/engine/daemon/proxy/ (systemd unit environment),
/// https://docs.docker.com/engine/security/certificates/ (`/etc/docker/certs.d/<host>/ca.crt`),
/// containers.conf(5) (`[engine] env`, `containers.conf.d`), containers-certs.d(5).
package enum ProxyWayConfig {
    static let dockerDropIn = "etc/systemd/system/docker.service.d/50-harbor-satellite-proxy.conf"
    static let crioDropIn = "etc/systemd/system/crio.service.d/50-harbor-satellite-proxy.conf"
    static let podmanDropIn = "etc/containers/containers.conf.d/50-harbor-satellite-proxy.conf"

    static func dockerEdits(_ plan: MirrorPlan) -> [FileEdit] {
        [.owned(dockerDropIn, unit(plan, what: "docker's"))] + caCopies(plan, under: "etc/docker/certs.d")
    }

    static func crioEdits(_ plan: MirrorPlan) -> [FileEdit] {
        [.owned(crioDropIn, unit(plan, what: "CRI-O's"))] + caCopies(plan, under: "etc/containers/certs.d")
    }

    static func podmanEdits(_ plan: MirrorPlan) -> [FileEdit] {
        var text = ownedFileHeader("#", what: "podman's pulls go through the satellite's HTTPS proxy.")
        text +=
            "[engine]\nenv = [" + environment(plan).map { tomlString("\($0)=\($1)") }.joined(separator: ", ") + "]\n"
        return [.owned(podmanDropIn, text)] + caCopies(plan, under: "etc/containers/certs.d")
    }

    /// `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (this node's loopback and the bypass hosts).
    static func environment(_ plan: MirrorPlan) -> [(String, String)] {
        let proxy = plan.endpoints[0].url
        let bypass = ["localhost", "127.0.0.1", "::1"] + (plan.proxy?.bypass ?? [])
        return [("HTTPS_PROXY", proxy), ("HTTP_PROXY", proxy), ("NO_PROXY", bypass.joined(separator: ","))]
    }

    static func unit(_ plan: MirrorPlan, what: String) -> String {
        var text = ownedFileHeader("#", what: "\(what) pulls go through the satellite's HTTPS proxy.")
        text += "[Service]\n"
        for (name, value) in environment(plan) { text += "Environment=\(systemdQuoted("\(name)=\(value)"))\n" }
        return text
    }

    /// The site CA as `<directory>/<registry host>/ca.crt` for each registry the state names;
    /// Docker Hub under both the name references use and the host its API answers at.
    static func caCopies(_ plan: MirrorPlan, under directory: String) -> [FileEdit] {
        guard let ca = plan.ca else { return [] }
        let hosts = plan.registries.flatMap {
            $0.host == "docker.io" ? ["docker.io", "registry-1.docker.io"] : [$0.host]
        }
        return Set(hosts).sorted().map { host in FileEdit(path: "\(directory)/\(host)/ca.crt") { _ in ca.pem } }
    }

    /// A systemd word in double quotes: `\` and `"` escaped, `%` doubled (a specifier otherwise).
    package static func systemdQuoted(_ value: String) -> String {
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "%", with: "%%")
        return "\"\(escaped)\""
    }
}
