/// Where the images of a kind of object are, as JSON Pointers (RFC 6901) to each `image`.
enum WorkloadImages {
    /// The kinds a webhook rewrites (`group/Kind`, the core group empty), and where their pod
    /// spec is under `spec`.
    static let podSpecPaths: [String: [String]] = [
        "/Pod": [], "/ReplicationController": ["template", "spec"],
        "apps/Deployment": ["template", "spec"], "apps/StatefulSet": ["template", "spec"],
        "apps/DaemonSet": ["template", "spec"], "apps/ReplicaSet": ["template", "spec"],
        "batch/Job": ["template", "spec"], "batch/CronJob": ["jobTemplate", "spec", "template", "spec"],
    ]

    static func key(group: String, kind: String) -> String { group + "/" + kind }

    /// The containers whose images a request may change. A running pod's containers restart
    /// when their image changes, so a pod is rewritten when it is created, and later only in the
    /// ephemeral (debug) containers added to it; a workload's template whenever it is written.
    static func fields(kind key: String, operation: String?, subResource: String?) -> Set<String> {
        let all: Set<String> = ["containers", "initContainers", "ephemeralContainers"]
        guard key == "/Pod" else { return all }
        switch (operation, subResource) {
        case ("CREATE", nil), ("CREATE", ""): return all
        case (_, "ephemeralcontainers"): return ["ephemeralContainers"]
        default: return []
        }
    }

    /// Each image of `object`, with the pointer to it; nil for a kind that holds no pod spec.
    static func images(of object: Workload, kind key: String) -> [(field: String, pointer: String, image: String)]? {
        guard let path = podSpecPaths[key], let spec = object.spec else { return nil }
        var podSpec: Workload.PodSpec?
        switch path.count {
        case 0: podSpec = spec.podSpec
        case 2: podSpec = spec.template?.spec
        default: podSpec = spec.jobTemplate?.spec?.template?.spec
        }
        guard let podSpec else { return [] }
        let base = "/spec" + path.map { "/" + $0 }.joined()
        var found: [(String, String, String)] = []
        for (field, containers) in [
            ("containers", podSpec.containers), ("initContainers", podSpec.initContainers),
            ("ephemeralContainers", podSpec.ephemeralContainers),
        ] {
            for (index, container) in (containers ?? []).enumerated() {
                if let image = container.image { found.append((field, "\(base)/\(field)/\(index)/image", image)) }
            }
        }
        return found
    }
}
