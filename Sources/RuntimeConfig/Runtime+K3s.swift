import Foundation
import Yams

/// k3s and RKE2: `registries.yaml` mirrors, satellites first; endpoints already listed stay
/// after them, and k3s falls back to the registry itself.
///
/// Spec: https://docs.k3s.io/installation/private-registry
enum K3sRegistriesConfig {
    static func edits(_ plan: MirrorPlan, file: String) -> [FileEdit] {
        [FileEdit(path: file) { current throws(RuntimeConfigError) in try edited(current, plan, file: file) }]
    }

    static func edited(_ current: Data?, _ plan: MirrorPlan, file: String) throws(RuntimeConfigError) -> Data {
        let text = current.map { String(decoding: $0, as: UTF8.self) } ?? ""
        var root: Node.Mapping
        do {
            switch try Yams.compose(yaml: text) {
            case nil: root = Node.Mapping([])
            case .mapping(let mapping)?: root = mapping
            default: throw RuntimeConfigError(.unsupported, "\(file): not a YAML mapping; the file is left as it was")
            }
        } catch let error as RuntimeConfigError {
            throw error
        } catch let YamlError.scanner(_, problem, mark, _), let YamlError.parser(_, problem, mark, _) {
            throw .unparsable(file, line: mark.line, "not valid YAML: \(problem)")
        } catch {
            throw .unparsable(file, line: nil, "not valid YAML")
        }
        let before = root
        var mirrors = try mapping(root["mirrors"], "mirrors", file: file)
        for registry in plan.registries {
            var entry = try mapping(mirrors[registry.host], "mirrors.\(registry.host)", file: file)
            let ours = plan.endpoints.map(\.url)
            let existing = try strings(entry["endpoint"], "mirrors.\(registry.host).endpoint", file: file)
            entry["endpoint"] = .sequence(
                Node.Sequence((ours + existing.filter { !ours.contains($0) }).map { Node($0) }))
            mirrors[registry.host] = .mapping(entry)
        }
        root["mirrors"] = .mapping(mirrors)
        if let ca = plan.ca {
            var configs = try mapping(root["configs"], "configs", file: file)
            for endpoint in plan.endpoints where endpoint.secure {
                var entry = try mapping(configs[endpoint.authority], "configs.\(endpoint.authority)", file: file)
                var tls = try mapping(entry["tls"], "configs.\(endpoint.authority).tls", file: file)
                tls["ca_file"] = Node(ca.path)
                entry["tls"] = .mapping(tls)
                configs[endpoint.authority] = .mapping(entry)
            }
            root["configs"] = .mapping(configs)
        }
        if root == before, let current { return current }
        do {
            return Data(try Yams.serialize(node: .mapping(root)).utf8)
        } catch {
            throw RuntimeConfigError(
                .unsupported, "\(file): cannot be written back as YAML; the file is left as it was")
        }
    }

    private static func mapping(_ node: Node?, _ key: String, file: String) throws(RuntimeConfigError) -> Node.Mapping {
        guard let node else { return Node.Mapping([]) }
        guard case .mapping(let mapping) = node else {
            throw RuntimeConfigError(
                .unsupported,
                "\(file)\(node.mark.map { ":\($0.line)" } ?? ""): \(key) is not a mapping; the file is left as it was")
        }
        return mapping
    }

    private static func strings(_ node: Node?, _ key: String, file: String) throws(RuntimeConfigError) -> [String] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node, case let values = sequence.compactMap(\.string),
            values.count == sequence.count
        else {
            throw RuntimeConfigError(
                .unsupported,
                """
                \(file)\(node.mark.map { ":\($0.line)" } ?? ""): \(key) is not a list of URLs; the file is left as \
                it was
                """
            )
        }
        return values
    }
}
