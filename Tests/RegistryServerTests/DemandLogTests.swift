import OCI
import RegistryServer
import Synchronization
import Testing

/// Every manifest request the store cannot answer at once reaches the demand log once, with
/// what became of it; what is held, blobs and peers' reads never do.
@Suite struct DemandLogTests {
    final class Heard: DemandLog {
        let requests = Mutex<[UnheldManifest]>([])
        func asked(_ request: UnheldManifest) { requests.withLock { $0.append(request) } }
        var all: [UnheldManifest] { requests.withLock { $0 } }
    }

    /// Pull-through as the satellite's answers it, by repository: `rules/…` is outside the
    /// rules, `later/…` outside the windows, `gone/…` unknown upstream, `none/…` not fetchable;
    /// anything else "fetched" (though nothing arrives: the read after it misses).
    struct Scripted: ContentOnDemand {
        func refresh(_ repository: RepositoryName, tag: OCI.Tag) async {}
        func servedHeld(_ repository: RepositoryName, manifest: Digest?, bytes: Int64) {}
        func fetchBlob(_ repository: RepositoryName, digest: Digest) async throws -> OnDemandBlob? { nil }
        func fetchManifest(_ repository: RepositoryName, reference: Reference) async throws -> OnDemandManifest {
            switch repository.value.split(separator: "/").first {
            case "rules": throw OnDemandRefusal("outside the rules")
            case "later": throw OnDemandDeferred("outside the windows", code: .manifestUnknown)
            case "gone": return .unavailable
            case "none": return .notFetchable
            default: return .fetched
            }
        }
    }

    /// Names under `elsewhere` resolve to no repository (`?ns=` of a registry not mirrored).
    struct Namespaces: RepositoryNamespaces {
        func resolve(_ name: RepositoryName, namespace: String?) -> NamespaceResolution {
            namespace == "ghcr.io" ? .unknownNamespace("ghcr.io") : .repository(name)
        }
    }

    @Test func eachUnheldManifestIsHeardOnceWithItsOutcome() async throws {
        let heard = Heard()
        try await RegistryHarness.run(namespaces: Namespaces(), demand: heard) { registry in
            let held = try await registry.pushImage("apps/web", tag: "1")
            _ = try await registry.request(.get, "/v2/apps/web/manifests/1")
            _ = try await registry.request(.head, "/v2/apps/web/manifests/\(held.digest)")
            _ = try await registry.request(.get, "/v2/apps/web/blobs/\(held.digest)")
            #expect(heard.all.isEmpty, "what is held, and blobs, are not demand")

            try registry.expectError(
                try await registry.request(.get, "/v2/apps/web/manifests/2"), .notFound, .manifestUnknown)
            _ = try await registry.request(.head, "/v2/library/alpine/manifests/\(held.digest)")
            _ = try await registry.request(.get, "/v2/library/alpine/manifests/3.20?ns=ghcr.io")
            _ = try await registry.request(.get, "/v2/apps/web/manifests/not%20a%20tag")
            let expected = [
                UnheldManifest(
                    repository: try RepositoryName("apps/web"), reference: .tag(try OCI.Tag("2")), outcome: .notFound),
                UnheldManifest(
                    repository: try RepositoryName("library/alpine"), reference: .digest(held.digest),
                    outcome: .notFound),
                UnheldManifest(
                    repository: try RepositoryName("library/alpine"), reference: .tag(try OCI.Tag("3.20")),
                    unknownHost: "ghcr.io", outcome: .notFound),
            ]
            #expect(heard.all == expected, "a reference that is neither tag nor digest is no demand")
        }
    }

    @Test func pullThroughOutcomesAreTold() async throws {
        let heard = Heard()
        try await RegistryHarness.run(onDemand: Scripted(), demand: heard) { registry in
            _ = try await registry.request(.get, "/v2/rules/app/manifests/1")
            _ = try await registry.request(.get, "/v2/later/app/manifests/1")
            _ = try await registry.request(.get, "/v2/gone/app/manifests/1")
            _ = try await registry.request(.get, "/v2/none/app/manifests/1")
            _ = try await registry.request(.get, "/v2/ok/app/manifests/1")
            #expect(heard.all.map(\.outcome) == [.denied, .deferred, .unavailable, .notFound, .fetched])
            #expect(heard.all.map(\.repository.value) == ["rules/app", "later/app", "gone/app", "none/app", "ok/app"])
        }
    }
}
