import Foundation
import OCI

/// Upstream namespacing (DESIGN.md §5.2): each upstream's content is kept under its own name, so
/// two upstreams holding the same repository never mix, and a client names the upstream it
/// means by host (containerd's `?ns=`) or by the first part of the path.
extension DesiredState.Upstream {
    /// The host image references name this upstream by: `host[:port]`, lower-case, without the
    /// scheme's default port. Docker Hub's API host is `docker.io`, as references spell it.
    public var registryHost: String? {
        guard let components = URLComponents(string: url), let rawHost = components.host?.lowercased(), !rawHost.isEmpty
        else {
            return nil
        }
        let host = rawHost.contains(":") && !rawHost.hasPrefix("[") ? "[\(rawHost)]" : rawHost
        if Self.dockerHubHosts.contains(host) { return "docker.io" }
        let defaultPort = components.scheme?.lowercased() == "https" ? 443 : 80
        guard let port = components.port, port != defaultPort else { return host }
        return "\(host):\(port)"
    }

    /// Every host a client may name this upstream by: its registry host and, for Docker Hub,
    /// the API host as well.
    public var hostAliases: Set<String> {
        guard let host = registryHost else { return [] }
        return host == "docker.io" ? Self.dockerHubHosts.union([host]) : [host]
    }

    /// The registry host when it can also open a repository path (`/v2/docker.io/library/alpine`):
    /// a host without a port.
    public var pathAlias: String? {
        registryHost.flatMap { RepositoryName.isValidComponent($0) ? $0 : nil }
    }

    private static let dockerHubHosts: Set<String> = [
        "registry-1.docker.io", "index.docker.io", "registry.hub.docker.com",
    ]
}

extension DesiredState.Artifact {
    /// The repository the satellite keeps this artifact in: `<upstream>/<repository>`.
    public func localRepository() throws(OCIError) -> RepositoryName {
        try RepositoryName("\(upstream)/\(repository.value)")
    }

    /// The inverse of `localRepository()`: the upstream's name and the repository there, for a
    /// stored name with at least two components.
    public static func upstreamAndRepository(
        _ stored: RepositoryName
    ) -> (upstream: String, repository: RepositoryName)? {
        guard let slash = stored.value.firstIndex(of: "/"),
            let repository = try? RepositoryName(String(stored.value[stored.value.index(after: slash)...]))
        else { return nil }
        return (String(stored.value[..<slash]), repository)
    }
}
