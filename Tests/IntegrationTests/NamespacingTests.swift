import Foundation
import OCI
import TestSupport
import Testing

/// Two upstreams that both hold `apps/web`, with different content, never mix: each copy is
/// reached by the host a runtime pulls for (`?ns=`) or by a path opened with the upstream's name,
/// and a plain name is served only while one upstream alone holds it (DESIGN.md §5.2).
@Suite("Upstream namespacing") struct NamespacingTests {
    @Test func twoUpstreamsWithTheSameRepositoryNeverMix() async throws {
        try await NamespacingTests.withTwoUpstreams { work, images, central, branch in
            let agent = try await SatelliteAgent(
                state: Self.state(generation: 1, central: central, branch: branch, branchHasWeb: true))
            defer { agent.terminate() }
            let synced = try await agent.waitForStatus("both upstreams synced") {
                $0.allSynced && $0.inventory.count == 3
            }

            // Status and inventory keep the two apart.
            let upstreams = Set(
                synced.lastSync?.artifacts.filter { $0.reference.hasPrefix("apps/web:1") }.compactMap(\.upstream) ?? [])
            #expect(upstreams == ["central", "branch"], "\(synced)")
            #expect(synced.digest(of: "central/apps/web", tag: "1") == images.first.digest.string)
            #expect(synced.digest(of: "branch/apps/web", tag: "1") == images.second.digest.string)

            // containerd's ns picks the upstream; so does a path opened with the upstream's name.
            let manifest = "/v2/apps/web/manifests/1"
            #expect(try await digest(agent, manifest + "?ns=\(central.host)") == images.first.digest.string)
            #expect(try await digest(agent, manifest + "?ns=\(branch.host)") == images.second.digest.string)
            #expect(try await digest(agent, "/v2/central/apps/web/manifests/1") == images.first.digest.string)
            #expect(try await digest(agent, "/v2/branch/apps/web/manifests/1") == images.second.digest.string)
            // Blobs and tags resolve the same way; a layer only the branch copy has is not in central's.
            let branchLayer = try #require(try images.blobs(of: images.second).last)
            #expect(
                try await httpGet(agent.baseURL + "/v2/apps/web/blobs/\(branchLayer.digest)?ns=\(branch.host)").status
                    == 200)
            #expect(
                try await httpGet(agent.baseURL + "/v2/apps/web/blobs/\(branchLayer.digest)?ns=\(central.host)").status
                    == 404)
            let tags = try await httpGet(agent.baseURL + "/v2/apps/web/tags/list?ns=\(branch.host)")
            #expect(tags.status == 200 && String(decoding: tags.body, as: UTF8.self).contains(#""name":"apps/web""#))

            // A plain name held by both is refused, naming both; held by one, it is that one.
            let plain = try await httpGet(agent.baseURL + manifest)
            let message = String(decoding: plain.body, as: UTF8.self)
            #expect(
                plain.status == 404 && message.contains("NAME_UNKNOWN") && message.contains("/v2/central/apps/web")
                    && message.contains("/v2/branch/apps/web"), "\(message)")
            #expect(try await digest(agent, "/v2/apps/only/manifests/1") == images.other.digest.string)
            // A host the state names no upstream for holds nothing here.
            #expect(try await httpGet(agent.baseURL + manifest + "?ns=ghcr.io").status == 404)

            // Once the branch's copy leaves the state, it is pruned and the plain name is central's.
            try agent.writeState(Self.state(generation: 2, central: central, branch: branch, branchHasWeb: false))
            try await agent.waitForStatus("the branch copy pruned") {
                $0.lastSync?.generation == 2 && $0.digest(of: "branch/apps/web", tag: "1") == nil
            }
            _ = try await pollFor("the plain name to resolve to central's copy") {
                try await digest(agent, manifest) == images.first.digest.string ? true : nil
            }
            #expect(try await httpGet(agent.baseURL + "/v2/branch/apps/web/manifests/1").status == 404)
            let catalog = String(decoding: try await httpGet(agent.baseURL + "/v2/_catalog").body, as: UTF8.self)
            #expect(catalog.contains("central/apps/web") && !catalog.contains("branch/apps/web"), "\(catalog)")
        }
    }

    private func digest(_ agent: SatelliteAgent, _ path: String) async throws -> String? {
        let reply = try await httpGet(agent.baseURL + path, headers: ["Accept": MediaType.ociManifest])
        return reply.status == 200 ? reply.headers["docker-content-digest"] : nil
    }

    /// Two upstreams, `central` and `branch`, that both hold `apps/web:1` (the first image and the
    /// second); `central` also holds `apps/only:1`.
    static func withTwoUpstreams(
        _ body: (TemporaryDirectory, TestImages, UpstreamRegistry, UpstreamRegistry) async throws -> Void
    ) async throws {
        try await withUpstream { work, images, central in
            let branch = try await UpstreamRegistry()
            defer { Task { await branch.cleanUp() } }
            try await central.push(layout: images.layout, name: "first", to: "apps/web:1")
            try await branch.push(layout: images.layout, name: "second", to: "apps/web:1")
            try await central.push(layout: images.layout, name: "other", to: "apps/only:1")
            try await body(work, images, central, branch)
        }
    }

    static func state(
        generation: Int, central: UpstreamRegistry, branch: UpstreamRegistry, branchHasWeb: Bool
    ) -> String {
        let credentials = "    username: \(UpstreamRegistry.username)\n    password: \(UpstreamRegistry.password)\n"
        return """
            schemaVersion: 1
            generation: \(generation)
            upstreams:
              - name: central
                url: \(central.url)
            \(credentials)  - name: branch
                url: \(branch.url)
            \(credentials)artifacts:
              - {upstream: central, repository: apps/web, tag: "1"}
              - {upstream: central, repository: apps/only, tag: "1"}
            \(branchHasWeb ? "  - {upstream: branch, repository: apps/web, tag: \"1\"}\n" : "")
            """
    }
}
