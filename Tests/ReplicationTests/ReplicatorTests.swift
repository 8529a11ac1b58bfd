import Logging
import OCI
import RegistryClient
import RegistryStore
import Replication
import SatelliteProtocol
import StateContent
import TestSupport
import Testing

/// The replicator on in-memory seams: planning, partial failure, retry, prune, platform filter,
/// referrers and shared manifests. Each test runs against the in-memory store and the real one.
@Suite struct ReplicatorTests {
    enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
        case memory, disk
        var testDescription: String { rawValue }
    }

    /// A replicator from one in-memory upstream, "central", into a store of the given kind.
    struct Fixture {
        let upstream: InMemoryRegistry
        let store: any ReplicaStore
        let replicator: Replicator
        let directory: TemporaryDirectory?

        init(
            _ kind: StoreKind, upstream: InMemoryRegistry = InMemoryRegistry(),
            options: Replicator.Options = Replicator.Options()
        ) throws {
            var logger = Logger(label: "replicator-test")
            logger.logLevel = .critical
            self.upstream = upstream
            switch kind {
            case .memory:
                directory = nil
                store = InMemoryReplicaStore()
            case .disk:
                let directory = try TemporaryDirectory("replicator")
                self.directory = directory
                store = try RegistryStore(directory: directory.path, logger: logger)
            }
            replicator = Replicator(
                store: store, sources: InMemorySources(registries: ["central": upstream]), options: options,
                logger: logger)
        }

        func sync(
            generation: Int64 = 1, keepPrevious: Bool? = nil, _ artifacts: [DesiredState.Artifact]
        ) async -> SyncReport {
            var state = DesiredState(
                generation: generation, upstreams: [.init(name: "central", url: "http://central.invalid")],
                artifacts: artifacts)
            state.keepPrevious = keepPrevious
            return await replicator.sync(state)
        }

        func tags() async throws -> [TagReference: Digest] { try await store.tags() }

        func cleanUp() { directory?.remove() }
    }

    static func artifact(
        _ repository: String, tag: String? = nil, digest: Digest? = nil, platforms: [String]? = nil
    ) throws -> DesiredState.Artifact {
        .init(
            upstream: "central", repository: try RepositoryName(repository), tag: try tag.map { try Tag($0) },
            digest: digest, platforms: platforms)
    }

    @Test(arguments: StoreKind.allCases)
    func plansFetchesAndCommitsThenASecondSyncFetchesNothing(_ kind: StoreKind) async throws {
        let fixture = try Fixture(kind)
        defer { fixture.cleanUp() }
        let image = fixture.upstream.addImage(seed: "app")
        fixture.upstream.tag("apps/app", "v1", image)

        let first = await fixture.sync([try Self.artifact("apps/app", tag: "v1")])
        #expect(first.succeeded)
        #expect(first.manifestsFetched == 1 && first.blobsFetched == 3)
        #expect(try await fixture.tags()[TagReference(repository: "central/apps/app", tag: "v1")] == image.digest)
        #expect(try await fixture.store.hasManifest(try RepositoryName("central/apps/app"), image.digest))

        let second = await fixture.sync(generation: 2, [try Self.artifact("apps/app", tag: "v1")])
        #expect(
            second.succeeded && second.manifestsFetched == 0 && second.blobsFetched == 0 && second.bytesFetched == 0)
        #expect(fixture.upstream.manifestRequests(image.digest) == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func oneBrokenArtifactLeavesTheOthersSyncedAndIsReportedWithItsReason(_ kind: StoreKind) async throws {
        let fixture = try Fixture(kind)
        defer { fixture.cleanUp() }
        let good = fixture.upstream.addImage(seed: "good")
        fixture.upstream.tag("apps/good", "1", good)
        let corrupt = fixture.upstream.addImage(seed: "corrupt", layers: 1)
        fixture.upstream.tag("apps/corrupt", "1", corrupt)
        let corruptLayer = try #require(
            ParsedManifest(
                bytes: try await fixture.upstream.manifest(try RepositoryName("apps/corrupt"), digest: corrupt.digest)
                    .bytes, contentType: nil
            ).requiredBlobs.last)
        fixture.upstream.corrupt(corruptLayer.digest)
        let denied = fixture.upstream.addImage(seed: "denied")
        fixture.upstream.tag("apps/denied", "1", denied)
        fixture.upstream.fail("apps/denied:1", with: ClientError(.forbidden, "apps/denied:1: access denied (403)"))

        let report = await fixture.sync([
            try Self.artifact("apps/missing", tag: "1"), try Self.artifact("apps/good", tag: "1"),
            try Self.artifact("apps/corrupt", tag: "1"), try Self.artifact("apps/denied", tag: "1"),
        ])
        let byReference = Dictionary(uniqueKeysWithValues: report.artifacts.map { ($0.reference, $0) })
        #expect(byReference["apps/good:1"]?.outcome == .synced)
        #expect(
            byReference["apps/missing:1"]?.outcome == .missing && byReference["apps/missing:1"]?.reason == .notFound)
        #expect(
            byReference["apps/corrupt:1"]?.outcome == .missing
                && byReference["apps/corrupt:1"]?.reason == .digestMismatch)
        #expect(byReference["apps/denied:1"]?.outcome == .missing && byReference["apps/denied:1"]?.reason == .forbidden)
        #expect(report.failures.map(\.reference).sorted() == ["apps/corrupt:1", "apps/denied:1", "apps/missing:1"])
        // Nothing of a failed artifact is half there: no tag, no manifest, no corrupt blob.
        let tags = try await fixture.tags()
        #expect(tags.keys.map(\.repository) == ["central/apps/good"])
        #expect(try await !fixture.store.hasManifest(try RepositoryName("central/apps/corrupt"), corrupt.digest))
        #expect(try await !fixture.store.hasBlob(corruptLayer.digest))
    }

    @Test(arguments: StoreKind.allCases)
    func aFailedBlobIsFetchedOnTheNextSyncAndNothingElseIsFetchedAgain(_ kind: StoreKind) async throws {
        let fixture = try Fixture(kind)
        defer { fixture.cleanUp() }
        let image = fixture.upstream.addImage(seed: "flaky", layers: 3)
        fixture.upstream.tag("apps/flaky", "1", image)
        let layers = try ParsedManifest(
            bytes: try await fixture.upstream.manifest(try RepositoryName("apps/flaky"), digest: image.digest).bytes,
            contentType: nil
        ).requiredBlobs
        let flaky = try #require(layers.last)
        fixture.upstream.fail(flaky.digest.string, with: ClientError(.network, "connection reset"), times: 1)

        let first = await fixture.sync([try Self.artifact("apps/flaky", tag: "1")])
        #expect(!first.succeeded && first.artifacts.first?.reason == .unreachable)
        #expect(try await fixture.tags().isEmpty)

        let requestsBefore = fixture.upstream.totalBlobRequests
        let second = await fixture.sync(generation: 2, [try Self.artifact("apps/flaky", tag: "1")])
        #expect(second.succeeded)
        #expect(second.blobsFetched == 1 && fixture.upstream.totalBlobRequests == requestsBefore + 1)
    }

    @Test(arguments: StoreKind.allCases)
    func whatTheStateDropsIsPrunedAndAFailedArtifactKeepsWhatIsHeld(_ kind: StoreKind) async throws {
        let fixture = try Fixture(kind)
        defer { fixture.cleanUp() }
        let one = fixture.upstream.addImage(seed: "one")
        let two = fixture.upstream.addImage(seed: "two")
        fixture.upstream.tag("apps/one", "1", one)
        fixture.upstream.tag("apps/two", "1", two)
        #expect(
            await fixture.sync([try Self.artifact("apps/one", tag: "1"), try Self.artifact("apps/two", tag: "1")])
                .succeeded)

        // apps/two moves upstream to a version that cannot be fetched; apps/one leaves the state.
        let broken = fixture.upstream.addImage(seed: "two, broken")
        fixture.upstream.tag("apps/two", "1", broken)
        fixture.upstream.fail(broken.digest.string, with: ClientError(.unexpectedStatus(500), "upstream answered 500"))
        let report = await fixture.sync(generation: 2, [try Self.artifact("apps/two", tag: "1")])
        #expect(report.tagsRemoved == 1 && report.manifestsRemoved == 1)
        let status = try #require(report.artifacts.first)
        #expect(status.outcome == .kept && status.digest == two.digest.string && status.reason == .upstreamError)
        #expect(try await fixture.tags() == [TagReference(repository: "central/apps/two", tag: "1"): two.digest])
        #expect(try await !fixture.store.hasManifest(try RepositoryName("central/apps/one"), one.digest))
    }

    /// A rollout's member keeps what the state before named, so an abort back to it fetches
    /// nothing; one generation on, it goes.
    @Test(arguments: StoreKind.allCases)
    func keepPreviousHoldsTheStateBeforeForOneGeneration(_ kind: StoreKind) async throws {
        let fixture = try Fixture(kind)
        defer { fixture.cleanUp() }
        let old = fixture.upstream.addImage(seed: "old")
        let new = fixture.upstream.addImage(seed: "new")
        fixture.upstream.tag("apps/web", "1", old)
        let web = try Self.artifact("apps/web", tag: "1")
        #expect(await fixture.sync(generation: 1, keepPrevious: true, [web]).succeeded)
        fixture.upstream.tag("apps/web", "1", new)
        let moved = await fixture.sync(generation: 2, keepPrevious: true, [web])
        #expect(moved.succeeded && moved.manifestsRemoved == 0)
        let repository = try RepositoryName("central/apps/web")
        #expect(try await fixture.store.hasManifest(repository, old.digest))

        // Back to the old digest: nothing fetched, only the tag moves.
        let requests = fixture.upstream.totalBlobRequests
        let manifests = fixture.upstream.manifestRequests(old.digest)
        let back = await fixture.sync(
            generation: 3, keepPrevious: true,
            [try Self.artifact("apps/web", tag: "1", digest: old.digest)])
        #expect(back.succeeded && back.bytesFetched == 0)
        #expect(
            fixture.upstream.totalBlobRequests == requests && fixture.upstream.manifestRequests(old.digest) == manifests
        )
        #expect(try await fixture.tags()[TagReference(repository: "central/apps/web", tag: "1")] == old.digest)
        #expect(try await fixture.store.hasManifest(repository, new.digest), "generation 2's stays one more")
        let later = await fixture.sync(
            generation: 4, keepPrevious: true,
            [try Self.artifact("apps/web", tag: "1", digest: old.digest)])
        #expect(later.manifestsRemoved == 1)
        #expect(try await !fixture.store.hasManifest(repository, new.digest))
    }

    @Test(arguments: StoreKind.allCases)
    func platformsSelectPartOfAnIndex(_ kind: StoreKind) async throws {
        let fixture = try Fixture(kind)
        defer { fixture.cleanUp() }
        let amd64 = fixture.upstream.addImage(seed: "amd64")
        let arm64 = fixture.upstream.addImage(seed: "arm64")
        let index = fixture.upstream.addIndex([
            (amd64, Platform(os: "linux", architecture: "amd64")),
            (arm64, Platform(os: "linux", architecture: "arm64")),
        ])
        fixture.upstream.tag("apps/multi", "1", index)

        let report = await fixture.sync([try Self.artifact("apps/multi", tag: "1", platforms: ["linux/arm64"])])
        #expect(report.succeeded && report.manifestsFetched == 2)
        let repository = try RepositoryName("central/apps/multi")
        #expect(try await fixture.store.hasManifest(repository, index.digest))
        #expect(try await fixture.store.hasManifest(repository, arm64.digest))
        #expect(try await !fixture.store.hasManifest(repository, amd64.digest))
        #expect(fixture.upstream.manifestRequests(amd64.digest) == 0)
        // A child left out is not missing: the index is held with its tree, and a resync fetches nothing.
        #expect(try await fixture.store.hasTree(repository, index.digest))
        let again = await fixture.sync(
            generation: 2, [try Self.artifact("apps/multi", tag: "1", platforms: ["linux/arm64"])])
        #expect(again.succeeded && again.manifestsFetched == 0 && again.blobsFetched == 0)
    }

    @Test(arguments: StoreKind.allCases)
    func referrersComeAlongAndAFailedListingDoesNotFailTheImage(_ kind: StoreKind) async throws {
        let fixture = try Fixture(kind)
        defer { fixture.cleanUp() }
        let image = fixture.upstream.addImage(seed: "signed")
        let signature = fixture.upstream.addImage(
            seed: "signature", layers: 1, subject: image,
            artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json")
        fixture.upstream.tag("apps/signed", "1", image)
        let unsigned = fixture.upstream.addImage(seed: "unsigned")
        fixture.upstream.tag("apps/unsigned", "1", unsigned)
        fixture.upstream.fail(
            "referrers \(unsigned.digest)", with: ClientError(.unexpectedStatus(500), "upstream answered 500"))

        let report = await fixture.sync([
            try Self.artifact("apps/signed", tag: "1"), try Self.artifact("apps/unsigned", tag: "1"),
        ])
        #expect(report.succeeded)
        #expect(try await fixture.store.hasManifest(try RepositoryName("central/apps/signed"), signature.digest))

        // The referrer stays while its subject does.
        let again = await fixture.sync(generation: 2, [try Self.artifact("apps/signed", tag: "1")])
        #expect(again.succeeded && again.manifestsRemoved == 1)
        #expect(try await fixture.store.hasManifest(try RepositoryName("central/apps/signed"), signature.digest))
    }

    @Test(arguments: StoreKind.allCases)
    func artifactsArePlannedConcurrentlyWithinTheLimitAndSharedManifestsFetchedOnce(_ kind: StoreKind) async throws {
        var options = Replicator.Options()
        options.maxConcurrentPlans = 3
        let fixture = try Fixture(
            kind, upstream: InMemoryRegistry(manifestLatency: .milliseconds(20)), options: options)
        defer { fixture.cleanUp() }
        var artifacts: [DesiredState.Artifact] = []
        for number in 0..<8 {
            let image = fixture.upstream.addImage(seed: "image \(number)", layers: 1)
            fixture.upstream.tag("apps/many", "\(number)", image)
            artifacts.append(try Self.artifact("apps/many", tag: "\(number)"))
        }
        // Two more tags of one image: its manifest is fetched once.
        let shared = fixture.upstream.addImage(seed: "shared")
        fixture.upstream.tag("apps/many", "a", shared)
        fixture.upstream.tag("apps/many", "b", shared)
        artifacts += [try Self.artifact("apps/many", tag: "a"), try Self.artifact("apps/many", tag: "b")]

        let report = await fixture.sync(artifacts)
        #expect(report.succeeded && report.artifacts.count == 10)
        #expect(fixture.upstream.manifestRequests(shared.digest) == 1)
        #expect(fixture.upstream.mostManifestRequestsAtOnce > 1 && fixture.upstream.mostManifestRequestsAtOnce <= 3)
    }
}
