import FleetDomain
import Foundation
import GroundControl
import Logging
import OCI
import SatelliteProtocol
import Synchronization
import Testing

/// Issue 25.10: the same push event replayed by the hundred costs a couple of lookups of the
/// tag, not one each.
@Suite struct PushEventCoalescingTests {
    /// A registry that answers each tag lookup slowly, counting them.
    final class CountingRegistry: RegistryAdapter {
        let lookups = Mutex(0)
        let digest: Digest

        init(digest: Digest) { self.digest = digest }

        func resolve(_ repository: RepositoryName, tag: OCI.Tag) async throws -> Digest {
            lookups.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(200))
            return digest
        }

        func shutdown() async {}
    }

    @Test func fourHundredReplaysOfOnePushCostAtMostTwoLookups() async throws {
        try await withFleet(.sqlite) { fleet, _ in
            try await FleetContractTests.seed(fleet)
            let registry = CountingRegistry(digest: try Digest("sha256:" + String(repeating: "ef", count: 32)))
            var logger = Logger(label: "coalescing")
            logger.logLevel = .critical
            let resolver = TagResolver(fleet: fleet, logger: logger, makeAdapter: { _, _, _, _ in registry })
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<400 {
                    group.addTask { await resolver.resolveOnPush(registry: "central", repository: "library/alpine") }
                }
            }
            let lookups = registry.lookups.withLock { $0 }
            #expect((1...2).contains(lookups), "\(lookups) lookups for 400 replays")
            // A push after the burst is looked up again.
            await resolver.resolveOnPush(registry: "central", repository: "library/alpine")
            #expect(registry.lookups.withLock { $0 } == lookups + 1)
            let group = try await fleet.groups.named(try FleetContractTests.name("edge"))
            #expect(group.artifacts.first?.resolvedDigest == registry.digest)
        }
    }
}
