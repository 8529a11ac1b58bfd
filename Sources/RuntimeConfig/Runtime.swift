import Foundation

/// A container runtime whose pulls the satellite can take over.
public enum Runtime: String, Sendable, CaseIterable, CustomStringConvertible {
    case containerd, crio, podman, docker, k3s, rke2

    public var description: String { rawValue }

    /// Parses a comma-separated list (`containerd,podman`), naming what is not known.
    public static func list(_ raw: String) throws(RuntimeConfigError) -> [Runtime] {
        var runtimes: [Runtime] = []
        for name in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() })
        where !name.isEmpty {
            guard let runtime = Runtime(rawValue: name) else {
                throw RuntimeConfigError(
                    .invalidInput,
                    "unknown runtime '\(name.prefix(50))': use \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !runtimes.contains(runtime) { runtimes.append(runtime) }
        }
        return runtimes
    }

    /// The files this runtime's mirror configuration consists of.
    func edits(_ plan: MirrorPlan, root: String) -> [FileEdit] {
        switch self {
        case .containerd: ContainerdConfig.edits(plan, root: root)
        case .crio where plan.proxy != nil: ProxyWayConfig.crioEdits(plan)
        case .podman where plan.proxy != nil: ProxyWayConfig.podmanEdits(plan)
        case .docker where plan.proxy != nil: ProxyWayConfig.dockerEdits(plan)
        case .crio, .podman: ContainersRegistriesConfig.edits(plan)
        case .docker: DockerDaemonConfig.edits(plan)
        case .k3s: K3sRegistriesConfig.edits(plan, file: "etc/rancher/k3s/registries.yaml")
        case .rke2: K3sRegistriesConfig.edits(plan, file: "etc/rancher/rke2/registries.yaml")
        }
    }

    /// What the operator must know or do after a change: reloads this command never does.
    func notes(_ plan: MirrorPlan) -> [String] {
        switch self {
        case .docker where plan.proxy != nil, .crio where plan.proxy != nil, .podman where plan.proxy != nil:
            [
                """
                \(self) pulls every registry through the satellite's proxy at \(plan.endpoints[0].url); the \
                state's registries are served by the satellite, others only if its --proxy-pass lets them through
                """,
                self == .podman
                    ? "podman reads this on its next pull"
                    : "run systemctl daemon-reload, then systemctl restart \(rawValue); this command never does",
            ]
        case .docker where DockerDaemonConfig.mirrorsDockerHub(plan):
            [
                """
                docker mirrors Docker Hub only: pulls from the other registries do not go through the satellite; \
                pull them as <satellite>/<upstream>/<repository>
                """,
                restartNote,
            ]
        case .docker:
            [
                """
                docker mirrors Docker Hub only, and the state has no Docker Hub upstream: docker is only told to \
                reach the satellite; pull as <satellite>/<upstream>/<repository>
                """,
                restartNote,
            ]
        default:
            [restartNote]
        }
    }

    /// How the runtime picks up a change; this command never restarts anything.
    var restartNote: String {
        switch self {
        case .containerd:
            "containerd reads hosts.toml on every pull; restart it once for config.toml (systemctl restart containerd)"
        case .crio: "restart CRI-O to apply this (systemctl restart crio)"
        case .podman: "podman reads this on its next pull"
        case .docker: "restart docker to apply this (systemctl restart docker); this command never restarts it"
        case .k3s: "restart k3s to apply this (systemctl restart k3s, or k3s-agent on agents)"
        case .rke2: "restart RKE2 to apply this (systemctl restart rke2-server, or rke2-agent on agents)"
        }
    }
}
