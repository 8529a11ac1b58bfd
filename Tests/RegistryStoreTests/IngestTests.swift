import Foundation
import NIOCore
import OCI
import RegistryStore
import Synchronization
import TestSupport
import Testing

/// A blob arriving from elsewhere: readable while it arrives, and right after a restart.
@Suite struct IngestTests {
    let repository = try! RepositoryName("ingest/test")

    /// A download the upstream would not resume starts over; the file must hold the new bytes
    /// from its first byte, not after a hole where the old ones were.
    @Test func aRestartedIngestHoldsOnlyTheNewBytes() async throws {
        let directory = try TemporaryDirectory("ingest")
        defer { directory.remove() }
        let store = try RegistryStore(directory: directory.path)
        let bytes = patternBytes(3_000_000, seed: 4)
        let digest = DigestHasher.digest(of: bytes)
        let reported = Mutex<[Int64]>([])
        let ingest = try store.beginIngest(of: digest) { inFile in reported.withLock { $0.append(inFile) } }
        try await ingest.append(ByteBuffer(bytes: bytes[0..<1_500_000]))
        try await ingest.restart()
        for start in stride(from: 0, to: bytes.count, by: 700_000) {
            try await ingest.append(ByteBuffer(bytes: bytes[start..<min(start + 700_000, bytes.count)]))
        }
        let partial = try ingest.openReader(size: Int64(bytes.count))
        try await ingest.commit(into: repository)

        let reader = try await store.openBlob(repository: repository, digest: digest)
        #expect(reader.size == Int64(bytes.count))
        var buffer = ByteBuffer()
        try reader.read(at: 0, maxLength: bytes.count, into: &buffer)
        #expect(Array(buffer.readableBytesView) == bytes)
        // The reader opened while it arrived reads the same bytes after the commit's rename.
        try partial.read(at: 2_000_000, maxLength: 1_000, into: &buffer)
        #expect(Array(buffer.readableBytesView) == Array(bytes[2_000_000..<2_001_000]))
        // Told of every batch that reached the file, and of the restart.
        let told = reported.withLock { $0 }
        #expect(told.contains(0) && told.last == Int64(bytes.count), "\(told)")
    }

    /// The scoped ingest (issue 26): what the body appends is committed when it returns, and
    /// nothing stays (no blob, no upload file) when it throws.
    @Test func aScopedIngestCommitsOnReturnAndLeavesNothingOnAThrow() async throws {
        let directory = try TemporaryDirectory("ingest-scoped")
        defer { directory.remove() }
        let store = try RegistryStore(directory: directory.path)
        let bytes = patternBytes(100_000, seed: 7)
        let digest = DigestHasher.digest(of: bytes)
        struct BrokeOff: Error {}
        await #expect(throws: BrokeOff.self) {
            try await store.ingestBlob(digest, into: repository) { ingest in
                try await ingest.append(ByteBuffer(bytes: bytes[0..<50_000]))
                throw BrokeOff()
            }
        }
        #expect(try await !store.hasBlob(digest))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appending("uploads")).isEmpty)
        let offset = try await store.ingestBlob(digest, into: repository) { ingest in
            try await ingest.append(ByteBuffer(bytes: bytes))
            return ingest.offset
        }
        #expect(offset == Int64(bytes.count))
        #expect(try await store.hasBlob(digest))
    }
}
