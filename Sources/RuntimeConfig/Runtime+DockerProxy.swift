import Foundation

/// docker through the satellite's HTTPS proxy (`--via-proxy`): docker mirrors Docker Hub only,
/// so to bring every registry's pulls to the satellite its daemon is given `HTTPS_PROXY` in a
/// systemd drop-in, and trusts the site CA for each registry the state names (the proxy answers
/// them with certificates the site CA signs).
///
/// Spec: https://docs.docker.com/engine/daemon/proxy/ (systemd unit environment), and
/// https://docs.docker.com/engine/security/certificates/ (`/etc/docker/certs.d/<host>/ca.crt`).
package enum DockerProxyDropIn {
    static let dropIn = "etc/systemd/system/docker.service.d/50-harbor-satellite-proxy.conf"

    static func edits(_ plan: MirrorPlan) -> [FileEdit] {
        var edits = [FileEdit.owned(dropIn, unit(plan))]
        guard let ca = plan.ca else { return edits }
        // docker names Docker Hub's certificate directory by its API host.
        let hosts = plan.registries.flatMap {
            $0.host == "docker.io" ? ["docker.io", "registry-1.docker.io"] : [$0.host]
        }
        for host in Set(hosts).sorted() {
            edits.append(FileEdit(path: "etc/docker/certs.d/\(host)/ca.crt") { _ in ca.pem })
        }
        return edits
    }

    static func unit(_ plan: MirrorPlan) -> String {
        let proxy = plan.endpoints[0].url
        let bypass = ["localhost", "127.0.0.1", "::1"] + (plan.proxy?.bypass ?? [])
        var text = ownedFileHeader("#", what: "docker's pulls go through the satellite's HTTPS proxy.")
        text += "[Service]\n"
        for (name, value) in [
            ("HTTPS_PROXY", proxy), ("HTTP_PROXY", proxy), ("NO_PROXY", bypass.joined(separator: ",")),
        ] {
            text += "Environment=\(systemdQuoted("\(name)=\(value)"))\n"
        }
        return text
    }

    /// A systemd word in double quotes: `\` and `"` escaped, `%` doubled (a specifier otherwise).
    package static func systemdQuoted(_ value: String) -> String {
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "%", with: "%%")
        return "\"\(escaped)\""
    }
}
