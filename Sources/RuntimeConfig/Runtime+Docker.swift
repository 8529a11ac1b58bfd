import Foundation
import StrictJSON

/// docker: `registry-mirrors` in `daemon.json` (docker mirrors Docker Hub only) and
/// `insecure-registries` for satellites on plain HTTP; other keys stay as they are.
///
/// Spec: https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file
enum DockerDaemonConfig {
    static let daemonFile = "etc/docker/daemon.json"

    static func edits(_ plan: MirrorPlan) -> [FileEdit] {
        [FileEdit(path: daemonFile) { current throws(RuntimeConfigError) in try edited(current, plan) }]
            + caCopies(plan, under: "etc/docker/certs.d")
    }

    static func mirrorsDockerHub(_ plan: MirrorPlan) -> Bool {
        plan.registries.contains { $0.host == "docker.io" }
    }

    static func edited(_ current: Data?, _ plan: MirrorPlan) throws(RuntimeConfigError) -> Data? {
        var document: [String: Any] = [:]
        if let current, !current.allSatisfy({ [0x20, 0x0A, 0x0D, 0x09].contains($0) }) {
            // The strict parser says where a document breaks (and refuses duplicate keys, which
            // would leave which one docker reads in doubt); Foundation's edits it.
            let parsed: JSONValue
            do {
                parsed = try StrictJSONParser.parse(current)
            } catch {
                let line = error.offset.map { offset in current.prefix(offset).count(where: { $0 == 0x0A }) + 1 }
                throw .unparsable(daemonFile, line: line, error.reason)
            }
            guard case .object = parsed else {
                throw RuntimeConfigError(.unsupported, "\(daemonFile): not a JSON object; the file is left as it was")
            }
            guard let object = try? JSONSerialization.jsonObject(with: current) as? [String: Any] else {
                throw RuntimeConfigError(
                    .unsupported, "\(daemonFile): cannot be read as a JSON object; the file is left as it was")
            }
            document = object
        }
        var changed = false
        func ensure(_ key: String, first values: [String]) throws(RuntimeConfigError) {
            let list: [String]
            switch document[key] {
            case nil: list = []
            case let strings as [String]: list = strings
            default:
                throw RuntimeConfigError(
                    .unsupported, "\(daemonFile): \(key) is not a list of strings; the file is left as it was")
            }
            let updated = values + list.filter { !values.contains($0) }
            if updated != list {
                document[key] = updated
                changed = true
            }
        }
        if mirrorsDockerHub(plan) {
            try ensure("registry-mirrors", first: plan.endpoints.map(\.url))
        }
        let plain = plan.endpoints.filter { !$0.secure }.map(\.authority)
        if !plain.isEmpty {
            try ensure("insecure-registries", first: plain)
        }
        guard changed else { return current }
        do {
            var bytes = try JSONSerialization.data(
                withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            bytes.append(0x0A)
            return bytes
        } catch {
            throw RuntimeConfigError(
                .unsupported, "\(daemonFile): cannot be written back as JSON; the file is left as it was")
        }
    }
}
