import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OCI
import RegistryServer
import RegistryStore
import Synchronization
import Testing

@Suite struct GarbageCollectionWhileServingTests {
    /// Pushes run while collection passes run back to back: every push succeeds and every image
    /// stays whole, because the grace period covers blobs whose manifest is still on its way.
    @Test func collectionDoesNotDisturbPushesAndPulls() async throws {
        var options = RegistryStore.Options()
        options.garbageGracePeriod = 60
        try await RegistryHarness.run(options: options) { r in
            // Stopped by a flag, not by cancelling: a cancel landing inside a pass fails its
            // database write, which is not what this test is about.
            let stop = StopFlag()
            let collector = Task {
                var passes = 0
                while !stop.isSet {
                    _ = try await r.store.collectGarbage()
                    passes += 1
                    await Task.yield()
                }
                return passes
            }
            var pushed: [(String, Digest)] = []
            for i in 0..<20 {
                let (_, digest) = try await r.pushImage("gc/app", tag: "v\(i)", layer: "layer \(i)")
                pushed.append(("v\(i)", digest))
            }
            stop.set()
            #expect(try await collector.value > 0)
            for (tag, digest) in pushed {
                let manifest = try await r.request(.get, "/v2/gc/app/manifests/\(tag)")
                #expect(manifest.headers[.dockerContentDigest] == digest.string)
                let parsed = try ParsedManifest(bytes: Array(buffer: manifest.body), contentType: nil)
                for blob in parsed.blobs {
                    #expect(try await r.request(.get, "/v2/gc/app/blobs/\(blob.digest)").status == .ok)
                }
            }
        }
    }
}

/// A one-way switch one task sets and another polls.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    var isSet: Bool { flag.load(ordering: .acquiring) }

    func set() { flag.store(true, ordering: .releasing) }
}
