import Admission
import Foundation
import Logging
import OCI
import RegistryStore
import Satellite
import SatelliteProtocol
import Synchronization
import TestSupport
import Testing
import ZoneInfo

/// What the webhook sends to the satellite, from its state, store, windows and budgets: an image
/// it holds (by tag or digest), or one its rules pull through while the link allows; never one it
/// could not serve now. The satellite's own name and the upstream's qualify the new name.
@Suite struct AdmissionImagesTests {
    static let noon: Int64 = 1_796_644_800

    struct Fixture {
        let images: AdmissionImages
        let store: RegistryStore
        let namespaces: UpstreamNamespaces
        let windows: LinkWindows
        let meter: UpstreamMeter
    }

    static func fixture(_ directory: TemporaryDirectory, now: Int64 = noon) throws -> Fixture {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let store = try RegistryStore(directory: directory.appending("store"), logger: logger)
        let data = DataDirectory(directory.path)
        let windows = LinkWindows(
            zones: ZoneDatabase(directory: ZoneDatabase.defaultDirectory), directory: data, logger: logger,
            clock: { now })
        let meter = UpstreamMeter(directory: data, logger: logger, clock: { now })
        let namespaces = UpstreamNamespaces()
        let images = AdmissionImages(
            advertised: "sat.local:5050", pinDigests: true, namespaces: namespaces, store: store,
            link: UpstreamLink(windows: windows, meter: meter))
        return Fixture(images: images, store: store, namespaces: namespaces, windows: windows, meter: meter)
    }

    static func state(digest: Digest, windows: [String]? = nil, budget: String? = nil) throws -> DesiredState {
        var state = DesiredState(
            generation: 1, upstreams: [.init(name: "central", url: "https://harbor.example.com")],
            artifacts: [
                .init(
                    upstream: "central", repository: try RepositoryName("shop/web"), tag: try Tag("1"), digest: digest)
            ],
            proxy: [.init(upstream: "central", repositories: [try RepositoryPattern("library/*")])])
        state.syncWindows = windows.map { .init(windows: $0, outsideWindow: nil) }
        state.upstreamBudgets = budget.map { [$0] }
        return state
    }

    /// Stores one manifest (its config need not be held) as `central/shop/web:1`; returns its digest.
    static func holdWeb(_ store: RegistryStore) async throws -> Digest {
        let config = Array(#"{"architecture":"amd64","os":"linux"}"#.utf8)
        let configDigest = DigestHasher.digest(of: config)
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":\
            {"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":\(config.count)},\
            "layers":[]}
            """
        return try await store.putManifest(
            repository: try RepositoryName("central/shop/web"), reference: .tag(try Tag("1")),
            bytes: Array(manifest.utf8), contentType: "application/vnd.oci.image.manifest.v1+json", requireBlobs: false
        ).digest
    }

    static func follow(_ fixture: Fixture, _ state: DesiredState) async throws {
        await fixture.windows.accepted(state)
        await fixture.meter.accepted(state)
        await fixture.images.accepted(state)
        try await fixture.namespaces.update(upstreams: state.upstreams, proxy: state.proxy ?? [], store: fixture.store)
    }

    @Test func heldAndPulledThroughImagesAreSentHereOthersAreNot() async throws {
        let directory = try TemporaryDirectory("admission-images")
        defer { directory.remove() }
        let fixture = try Self.fixture(directory)
        #expect(!fixture.images.isReady, "no state yet")
        let digest = try await Self.holdWeb(fixture.store)
        try await Self.follow(fixture, try Self.state(digest: digest))
        #expect(fixture.images.isReady)
        func sent(_ image: String) async throws -> String? {
            await fixture.images.mirrored(try ImageName(parsing: image))
        }
        #expect(try await sent("harbor.example.com/shop/web:1") == "sat.local:5050/central/shop/web:1@\(digest)")
        #expect(try await sent("harbor.example.com/shop/web@\(digest)") == "sat.local:5050/central/shop/web@\(digest)")
        #expect(try await sent("HARBOR.example.com/library/redis:7") == "sat.local:5050/central/library/redis:7")
        #expect(try await sent("harbor.example.com/shop/web:2") == nil, "a tag not held and not pulled through")
        #expect(try await sent("harbor.example.com/shop/api:1") == nil, "a repository not held, outside the rules")
        #expect(try await sent("ghcr.io/shop/web:1") == nil, "a registry the state does not name")
    }

    @Test func outsideTheWindowsOrPastABudgetOnlyWhatIsHeldIsSentHere() async throws {
        let directory = try TemporaryDirectory("admission-images")
        defer { directory.remove() }
        let fixture = try Self.fixture(directory)
        let digest = try await Self.holdWeb(fixture.store)
        // Monday noon UTC: a window at night is closed.
        try await Self.follow(fixture, try Self.state(digest: digest, windows: ["daily 01:00-02:00 UTC"]))
        #expect(await fixture.images.mirrored(try ImageName(parsing: "harbor.example.com/library/redis:7")) == nil)
        #expect(await fixture.images.mirrored(try ImageName(parsing: "harbor.example.com/shop/web:1")) != nil)

        let spent = try TemporaryDirectory("admission-images")
        defer { spent.remove() }
        let budgeted = try Self.fixture(spent)
        try await Self.follow(budgeted, try Self.state(digest: digest, budget: "1MiB/month"))
        #expect(await budgeted.images.mirrored(try ImageName(parsing: "harbor.example.com/library/redis:7")) != nil)
        budgeted.meter.received(1 << 20, upstream: "central", repository: try RepositoryName("library/other"))
        #expect(await budgeted.images.mirrored(try ImageName(parsing: "harbor.example.com/library/redis:7")) == nil)
        #expect(budgeted.meter.report().budgets.first?.exhausted == false, "asking marks no refusal")
    }
}
