import HTTPServerSupport
import Logging
import OCI
import RegistryServer
import RegistryStore
import SatelliteProtocol
import Synchronization

/// Resolves the names a runtime pulls by to the repositories the satellite keeps each upstream's
/// content under (`<upstream>/<repository>`; DESIGN.md §5.2):
/// - with `?ns=<host>` (containerd's mirror requests), the copy from the upstream with that host;
/// - a path that opens with an upstream's name, or with its host when the host has no port
///   (podman's and CRI-O's mirror entries), that upstream's copy;
/// - a plain name held from one upstream only, that copy; held from several, an error naming them.
///
/// Built from the repositories the store holds when the agent starts, so what is held resolves
/// before any state is verified, and rebuilt with the state's upstreams after every sync.
public final class UpstreamNamespaces: RepositoryNamespaces {
    struct Upstream: Sendable {
        let name: String
        let hosts: Set<String>
        let pathAlias: String?
    }

    struct Snapshot: Sendable {
        var upstreams: [Upstream] = []
        var held: Set<String> = []
        /// Every upstream name content is kept under: the state's, and the first part of each
        /// repository held, so that what is held resolves even while no state is verified.
        var names: Set<String> = []
        /// Pull-through rules by upstream: what is not held yet may still be fetched.
        var proxy: [String: DesiredState.ProxyRule] = [:]
    }

    private let snapshot = Mutex(Snapshot())

    public init() {}

    /// Takes the state's upstreams and the repositories the store now holds.
    public func update(
        upstreams: [DesiredState.Upstream], proxy: [DesiredState.ProxyRule] = [], store: RegistryStore
    ) async throws(StoreError) {
        let held = Set(try await store.repositories(after: nil, limit: Int.max))
        update(upstreams: upstreams, proxy: proxy, held: held)
    }

    package func update(upstreams: [DesiredState.Upstream], proxy: [DesiredState.ProxyRule] = [], held: Set<String>) {
        let entries = upstreams.map { Upstream(name: $0.name, hosts: $0.hostAliases, pathAlias: $0.pathAlias) }
        let names = Set(entries.map(\.name)).union(
            held.compactMap { name in name.firstIndex(of: "/").map { String(name[..<$0]) } })
        let rules = Dictionary(proxy.map { ($0.upstream, $0) }, uniquingKeysWith: { first, _ in first })
        snapshot.withLock { $0 = Snapshot(upstreams: entries, held: held, names: names, proxy: rules) }
    }

    /// For an image from registry `host`: the upstream this satellite keeps its repository under,
    /// whether it holds that repository, and whether its pull-through rules may fetch it.
    func upstream(host: String, repository: RepositoryName) -> (name: String, held: Bool, fetchable: Bool)? {
        let current = snapshot.withLock { $0 }
        guard let upstream = current.upstreams.first(where: { $0.hosts.contains(host.lowercased()) }) else {
            return nil
        }
        return (
            upstream.name, current.held.contains("\(upstream.name)/\(repository.value)"),
            current.proxy[upstream.name]?.allows(repository) ?? false
        )
    }

    /// For a host a device sent through the HTTPS proxy (`CONNECT host:port`, or a plain
    /// request's `Host`): the name `?ns=` takes for it, when an upstream of the state has that
    /// host. A host written without a port in the state answers on 443 and 80.
    package func namespace(proxiedTo target: ProxyTarget) -> String? {
        let upstreams = snapshot.withLock { $0.upstreams }
        let withPort = target.description
        if upstreams.contains(where: { $0.hosts.contains(withPort) }) { return withPort }
        guard target.port == 443 || target.port == 80 else { return nil }
        return upstreams.contains(where: { $0.hosts.contains(target.bracketedHost) }) ? target.bracketedHost : nil
    }

    public func resolve(_ name: RepositoryName, namespace: String?) -> NamespaceResolution {
        let current = snapshot.withLock { $0 }
        func kept(_ upstream: String, _ repository: Substring) -> RepositoryName? {
            try? RepositoryName("\(upstream)/\(repository)")
        }
        if let namespace {
            let host = namespace.lowercased()
            guard let upstream = current.upstreams.first(where: { $0.hosts.contains(host) }) else {
                return .unknownNamespace(host)
            }
            return kept(upstream.name, name.value[...]).map { .repository($0) } ?? .repository(name)
        }
        // Qualified by the upstream's name or host: that upstream's copy, when it holds one.
        if let slash = name.value.firstIndex(of: "/") {
            let first = name.value[..<slash]
            let rest = name.value[name.value.index(after: slash)...]
            // Held, or to be pulled through from that upstream.
            if current.names.contains(String(first)),
                current.held.contains(name.value) || current.proxy[String(first)] != nil
            {
                return .repository(name)
            }
            if let upstream = current.upstreams.first(where: { $0.pathAlias.map { $0 == first } ?? false }),
                let repository = kept(upstream.name, rest),
                current.held.contains(repository.value) || current.proxy[upstream.name] != nil
            {
                return .repository(repository)
            }
        }
        // A plain name: whichever upstream alone holds it, or alone may pull it through.
        let holders = current.names.filter { current.held.contains("\($0)/\(name.value)") }.sorted()
        switch holders.count {
        case 0:
            let proxies = current.proxy.values.filter { $0.allows(name) }.map(\.upstream).sorted()
            switch proxies.count {
            case 0: return .repository(name)
            case 1: return kept(proxies[0], name.value[...]).map { .repository($0) } ?? .repository(name)
            default: return .ambiguous(name, upstreams: proxies)
            }
        case 1: return kept(holders[0], name.value[...]).map { .repository($0) } ?? .repository(name)
        default: return .ambiguous(name, upstreams: holders)
        }
    }
}

/// Rebuilt after each sync, so names resolve to what the store now holds.
struct NamespaceRefresh: SyncObserver {
    let namespaces: UpstreamNamespaces
    let store: RegistryStore
    let logger: Logger

    func starting() async {
        await update([], proxy: [])
    }

    func accepted(_ state: DesiredState) async {
        await update(state.upstreams, proxy: state.proxy ?? [])
    }

    func synced(_ state: DesiredState) async {
        await update(state.upstreams, proxy: state.proxy ?? [])
    }

    private func update(_ upstreams: [DesiredState.Upstream], proxy: [DesiredState.ProxyRule]) async {
        do {
            try await namespaces.update(upstreams: upstreams, proxy: proxy, store: store)
        } catch {
            logger.error(
                "cannot list the store's repositories; names resolve as before", metadata: ["error": "\(error)"])
        }
    }
}
