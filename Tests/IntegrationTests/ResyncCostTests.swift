import Foundation
import Logging
import OCI
import RegistryStore
import Replication
import SatelliteProtocol
import StateContent
import TestSupport
import Testing

/// What a sync costs the upstream: the replicator in-process against docker-registry, whose
/// access log counts the requests (and, in token mode, the token service counts tokens).
@Suite(.serialized) struct ResyncCostTests {
    func replicator(_ work: TemporaryDirectory) throws -> Replicator {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return Replicator(store: try RegistryStore(directory: work.appending("store"), logger: logger), logger: logger)
    }

    func upstreamEntry(_ upstream: UpstreamRegistry) -> DesiredState.Upstream {
        .init(
            name: "central", url: upstream.url, username: UpstreamRegistry.username, password: UpstreamRegistry.password
        )
    }

    @Test func bearerTokensAreFetchedOncePerRepositoryAndReused() async throws {
        try await withUpstream(auth: .token) { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/app:v1")
            try await upstream.push(layout: images.layout, name: "other", to: "apps/other:v1")
            let pushTokens = upstream.tokensIssued.count
            let replicator = try replicator(work)
            let state = DesiredState(
                generation: 1, upstreams: [upstreamEntry(upstream)],
                artifacts: [
                    .init(upstream: "central", repository: try RepositoryName("apps/app"), tag: try Tag("v1")),
                    .init(upstream: "central", repository: try RepositoryName("apps/other"), tag: try Tag("v1")),
                ])
            let first = await replicator.sync(state)
            #expect(first.succeeded, "\(first.artifacts)")
            let issued = upstream.tokensIssued.dropFirst(pushTokens)
            #expect(Set(issued) == ["repository:apps/app:pull", "repository:apps/other:pull"], "\(Array(issued))")
            #expect(issued.count == 2)

            let before = upstream.requestLog.count
            #expect(await replicator.sync(state).succeeded)
            // Cached tokens: no new token, no 401 round trip, one HEAD per tag.
            #expect(upstream.tokensIssued.count == pushTokens + 2)
            try await poll("the resync's requests to be logged") { upstream.requestLog.count >= before + 2 }
            #expect(upstream.requestLog.count == before + 2, "\(Array(upstream.requestLog.dropFirst(before)))")
            await replicator.shutdown()
        }
    }

    @Test func aRepeatedSyncOnlyResolvesTags() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/app:v1")
            try await upstream.push(layout: images.layout, name: "multi", to: "apps/multi:v1", all: true)
            try await upstream.push(layout: images.layout, name: "other", to: "apps/other:v1")
            let replicator = try replicator(work)
            let state = DesiredState(
                generation: 1,
                upstreams: [upstreamEntry(upstream)],
                artifacts: [
                    .init(upstream: "central", repository: try RepositoryName("apps/app"), tag: try Tag("v1")),
                    .init(upstream: "central", repository: try RepositoryName("apps/multi"), tag: try Tag("v1")),
                    .init(
                        upstream: "central", repository: try RepositoryName("apps/other"), digest: images.other.digest),
                ])
            let first = await replicator.sync(state)
            #expect(first.succeeded, "\(first.artifacts)")
            #expect(first.blobsFetched > 0)

            let before = upstream.requestLog.count
            let second = await replicator.sync(state)
            #expect(second.succeeded)
            #expect(second.manifestsFetched == 0)
            #expect(second.blobsFetched == 0)
            #expect(second.bytesFetched == 0)
            try await poll("the resync's requests to be logged") { upstream.requestLog.count >= before + 2 }
            let requests = upstream.requestLog.dropFirst(before)
            // One HEAD per tag; nothing for the digest-pinned artifact.
            #expect(requests.count == 2, "\(Array(requests))")
            #expect(requests.allSatisfy { $0.contains("\"HEAD /v2/apps/") && $0.contains("/manifests/v1 ") })
            await replicator.shutdown()
        }
    }
}
