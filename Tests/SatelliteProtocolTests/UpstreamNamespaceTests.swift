import OCI
import SatelliteProtocol
import Testing

/// How an upstream is named by clients: the host a runtime pulls from, and the path prefix.
@Suite struct UpstreamNamespaceTests {
    @Test(
        arguments: [
            ("http://127.0.0.1:5000", "127.0.0.1:5000", nil),
            ("https://registry.example.com", "registry.example.com", "registry.example.com"),
            ("https://registry.example.com:443", "registry.example.com", "registry.example.com"),
            ("http://registry.example.com:80/", "registry.example.com", "registry.example.com"),
            ("https://registry.example.com:80", "registry.example.com:80", nil),
            ("https://Harbor.Example.com:8443", "harbor.example.com:8443", nil),
            ("https://registry-1.docker.io", "docker.io", "docker.io"),
            ("http://[::1]:5000", "[::1]:5000", nil),
        ] as [(String, String, String?)])
    func hostsAndPathAliases(url: String, host: String, alias: String?) {
        let upstream = DesiredState.Upstream(name: "u", url: url)
        #expect(upstream.registryHost == host)
        #expect(upstream.pathAlias == alias)
    }

    @Test func dockerHubIsKnownByEveryHostItAnswersAt() {
        let hub = DesiredState.Upstream(name: "hub", url: "https://registry-1.docker.io")
        #expect(hub.hostAliases == ["docker.io", "registry-1.docker.io", "index.docker.io", "registry.hub.docker.com"])
    }

    @Test func anArtifactIsKeptUnderItsUpstreamsName() throws {
        let artifact = DesiredState.Artifact(
            upstream: "central", repository: try RepositoryName("library/alpine"), tag: try Tag("3"))
        #expect(try artifact.localRepository() == RepositoryName("central/library/alpine"))
    }

    @Test(arguments: ["Central", "a_", "-a", "a..b", "a/b", "", String(repeating: "a", count: 64)])
    func upstreamNamesMustOpenARepositoryPath(name: String) {
        let state = DesiredState(generation: 1, upstreams: [.init(name: name, url: "http://a")], artifacts: [])
        #expect(throws: DesiredStateError.self) { try state.validate() }
    }
}
