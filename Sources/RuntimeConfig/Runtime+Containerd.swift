import Foundation
import TOMLKit

/// containerd (1.x and 2.x, and CRI through it): a `hosts.toml` per upstream under
/// `etc/containerd/certs.d`, and `config_path` in `config.toml` pointing there.
///
/// Spec: https://github.com/containerd/containerd/blob/main/docs/hosts.md
enum ContainerdConfig {
    static let configFile = "etc/containerd/config.toml"
    static let hostsDirectory = "etc/containerd/certs.d"

    static func edits(_ plan: MirrorPlan, root: String) -> [FileEdit] {
        let certs = absolute(hostsDirectory, root: root)
        return plan.registries.map { registry in
            .owned("\(hostsDirectory)/\(registry.host)/hosts.toml", hostsTOML(registry, plan: plan))
        } + [FileEdit(path: configFile) { current throws(RuntimeConfigError) in try withConfigPath(current, certs) }]
    }

    /// Every pull of `registry` tries the satellites in order, then the registry itself.
    static func hostsTOML(_ registry: MirrorPlan.Registry, plan: MirrorPlan) -> String {
        var text = ownedFileHeader("#", what: "pulls of \(registry.host) go through the satellite first.")
        text += "server = \(tomlString(registry.server))\n"
        for endpoint in plan.endpoints {
            text += "\n[host.\(tomlString(endpoint.url))]\n  capabilities = [\"pull\", \"resolve\"]\n"
            if endpoint.secure, let ca = plan.ca {
                text += "  ca = \(tomlString(ca.path))\n"
            }
        }
        return text
    }

    /// `config.toml` with `config_path` naming `certs` under the registry key of the file's
    /// version: `version = 2` is containerd 1.x's layout (2.x reads it too), `version = 3` is 2.x's.
    static func withConfigPath(_ current: Data?, _ certs: String) throws(RuntimeConfigError) -> Data {
        let text = current.map { String(decoding: $0, as: UTF8.self) } ?? ""
        if text.allSatisfy(\.isWhitespace) {
            let header = ownedFileHeader("#", what: "containerd reads mirror configuration from the directory below.")
            return Data(
                """
                \(header.dropLast())
                version = 2

                [plugins."io.containerd.grpc.v1.cri".registry]
                  config_path = \(tomlString(certs))

                """.utf8)
        }
        let document: TOMLTable
        do {
            document = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .unparsable(configFile, line: error.source.begin.line, "not valid TOML: \(error.description)")
        } catch {
            throw .unparsable(configFile, line: nil, "not valid TOML")
        }
        let plugin: String
        switch document["version"]?.int {
        case 2: plugin = "io.containerd.grpc.v1.cri"
        case 3: plugin = "io.containerd.cri.v1.images"
        default:
            throw RuntimeConfigError(
                .unsupported,
                """
                \(configFile): a version 1 configuration (no `version = 2` or `version = 3`); migrate it first \
                (`containerd config migrate` on 2.x, or write it as version 2); the file is left as it was
                """
            )
        }
        let registry = try table(document, path: ["plugins", plugin, "registry"])
        if let mirrors = registry["mirrors"]?.table, !mirrors.isEmpty {
            throw RuntimeConfigError(
                .unsupported,
                """
                \(configFile): plugins.\"\(plugin)\".registry.mirrors is set, and containerd refuses it together \
                with config_path; move those mirrors to hosts.toml files first; the file is left as it was
                """
            )
        }
        let existing = registry["config_path"]?.string ?? ""
        let paths = existing.split(separator: ":").map(String.init)
        if paths.contains(certs) { return current ?? Data() }
        // Directories already listed stay, after ours.
        registry["config_path"] = ([certs] + paths).joined(separator: ":")
        var rendered = document.convert(
            to: .toml, options: [.allowLiteralStrings, .allowMultilineStrings, .allowUnicodeStrings, .indentSubTables])
        if !rendered.hasSuffix("\n") { rendered += "\n" }
        return Data(rendered.utf8)
    }

    /// The table at `path`, made where missing; a key there that is not a table is refused.
    private static func table(_ root: TOMLTable, path: [String]) throws(RuntimeConfigError) -> TOMLTable {
        var current = root
        for (depth, key) in path.enumerated() {
            if current[key] == nil { current[key] = TOMLTable() }
            guard let next = current[key]?.table else {
                throw RuntimeConfigError(
                    .unsupported,
                    "\(configFile): \(path[...depth].joined(separator: ".")) is not a table; the file is left as it was"
                )
            }
            current = next
        }
        return current
    }
}

/// `path` under `root`, as runtimes on that root see it.
func absolute(_ path: String, root: String) -> String {
    (root.hasSuffix("/") ? String(root.dropLast()) : root) + "/" + path
}
