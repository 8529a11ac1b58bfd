import OCI
import RegistryServer
import Satellite
import SatelliteProtocol
import Testing

/// Which stored repository a mirror request reads (DESIGN.md §5.2).
@Suite struct UpstreamNamespacesTests {
    static let upstreams: [DesiredState.Upstream] = [
        .init(name: "central", url: "http://127.0.0.1:5000"),
        .init(name: "hub", url: "https://registry-1.docker.io"),
        .init(name: "harbor", url: "https://harbor.example.com"),
    ]
    /// `apps/web` is held from two upstreams; `library/alpine` from Docker Hub alone.
    static let held: Set<String> = ["central/apps/web", "harbor/apps/web", "hub/library/alpine", "central/only/here"]

    static func namespaces() -> UpstreamNamespaces {
        let namespaces = UpstreamNamespaces()
        namespaces.update(upstreams: upstreams, held: held)
        return namespaces
    }

    @Test(
        arguments: [
            // containerd's ns: the upstream with that host, whatever else holds the name.
            ("apps/web", "127.0.0.1:5000", "central/apps/web"),
            ("apps/web", "harbor.example.com", "harbor/apps/web"),
            ("library/alpine", "docker.io", "hub/library/alpine"),
            ("library/alpine", "registry-1.docker.io", "hub/library/alpine"),
            ("library/alpine", "DOCKER.IO", "hub/library/alpine"),
            // With ns, a name not held from that upstream is its own miss (the runtime falls back).
            ("only/here", "harbor.example.com", "harbor/only/here"),
            // Qualified by the upstream's name, or by its host when the host has no port.
            ("central/apps/web", nil, "central/apps/web"),
            ("harbor/apps/web", nil, "harbor/apps/web"),
            ("harbor.example.com/apps/web", nil, "harbor/apps/web"),
            ("docker.io/library/alpine", nil, "hub/library/alpine"),
            // A plain name held from one upstream only.
            ("library/alpine", nil, "hub/library/alpine"),
            ("only/here", nil, "central/only/here"),
            // Held from none: looked up as it is, so the miss names what was asked.
            ("nothing/here", nil, "nothing/here"),
        ] as [(String, String?, String)])
    func resolves(name: String, namespace: String?, stored: String) throws {
        #expect(
            Self.namespaces().resolve(try RepositoryName(name), namespace: namespace)
                == .repository(try RepositoryName(stored)))
    }

    @Test func aPlainNameHeldFromTwoUpstreamsIsRefusedNamingBoth() throws {
        let name = try RepositoryName("apps/web")
        #expect(Self.namespaces().resolve(name, namespace: nil) == .ambiguous(name, upstreams: ["central", "harbor"]))
    }

    @Test func aHostNoUpstreamHasIsUnknown() throws {
        #expect(
            Self.namespaces().resolve(try RepositoryName("apps/web"), namespace: "ghcr.io")
                == .unknownNamespace("ghcr.io"))
    }

    @Test func whatIsHeldResolvesBeforeAnyStateIsVerified() throws {
        // A restart whose saved state no longer verifies: only the store is known, and hosts are not.
        let namespaces = UpstreamNamespaces()
        namespaces.update(upstreams: [], held: Self.held)
        #expect(
            namespaces.resolve(try RepositoryName("library/alpine"), namespace: nil)
                == .repository(try RepositoryName("hub/library/alpine")))
        #expect(
            namespaces.resolve(try RepositoryName("harbor/apps/web"), namespace: nil)
                == .repository(try RepositoryName("harbor/apps/web")))
        #expect(
            namespaces.resolve(try RepositoryName("library/alpine"), namespace: "docker.io")
                == .unknownNamespace("docker.io"))
    }

    @Test func beforeAnyStateNamesAreWhatTheySay() throws {
        let name = try RepositoryName("apps/web")
        #expect(UpstreamNamespaces().resolve(name, namespace: nil) == .repository(name))
    }
}

extension UpstreamNamespacesTests {
    /// What is not held yet resolves to the upstream whose pull-through rules allow it.
    @Test func namesNotHeldResolveToTheUpstreamThatMayPullThemThrough() throws {
        let namespaces = UpstreamNamespaces()
        namespaces.update(
            upstreams: Self.upstreams,
            proxy: [
                .init(upstream: "hub", repositories: [try RepositoryPattern("library/*")]),
                .init(
                    upstream: "harbor",
                    repositories: [try RepositoryPattern("apps/**"), try RepositoryPattern("library/busybox")]),
            ],
            held: Self.held)
        let resolve = { (name: String, ns: String?) in namespaces.resolve(try RepositoryName(name), namespace: ns) }
        #expect(try resolve("library/nginx", nil) == .repository(try RepositoryName("hub/library/nginx")))
        #expect(try resolve("apps/new", nil) == .repository(try RepositoryName("harbor/apps/new")))
        #expect(
            try resolve("library/busybox", nil)
                == .ambiguous(try RepositoryName("library/busybox"), upstreams: ["harbor", "hub"]))
        #expect(try resolve("docker.io/library/nginx", nil) == .repository(try RepositoryName("hub/library/nginx")))
        #expect(try resolve("harbor/apps/new", nil) == .repository(try RepositoryName("harbor/apps/new")))
        // Held wins over what could be pulled through; no rule, no upstream.
        #expect(try resolve("library/alpine", nil) == .repository(try RepositoryName("hub/library/alpine")))
        #expect(try resolve("tools/x", nil) == .repository(try RepositoryName("tools/x")))
    }
}
