import Foundation
import NIOCore
import OCI
import RegistryStore
import Synchronization
import TestSupport
import Testing

/// A clock the tests move by hand.
final class ManualClock: Sendable {
    private let now = Mutex<Double>(1_000_000)
    func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
    var read: @Sendable () -> Double { { [self] in now.withLock { $0 } } }
}

@Suite struct StoreTests {
    let repository = try! RepositoryName("store/test")

    func withStore(
        clock: ManualClock? = nil, _ body: (RegistryStore, TemporaryDirectory) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory("store")
        defer { directory.remove() }
        var options = RegistryStore.Options()
        if let clock { options.clock = clock.read }
        try await body(try RegistryStore(directory: directory.path, options: options), directory)
    }

    func image(_ store: RegistryStore, tag: String, layer: [UInt8]) async throws -> Digest {
        let config = Array("{}".utf8)
        let configDigest = DigestHasher.digest(of: config)
        let layerDigest = DigestHasher.digest(of: layer)
        try await store.putBlob(repository: repository, digest: configDigest, body: ByteChunks(config))
        try await store.putBlob(repository: repository, digest: layerDigest, body: ByteChunks(layer))
        let json = """
            {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":"\(MediaType.ociConfig)",\
            "digest":"\(configDigest)","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",\
            "digest":"\(layerDigest)","size":\(layer.count)}]}
            """
        return try await store.putManifest(
            repository: repository, reference: .tag(try Tag(tag)), bytes: Array(json.utf8), contentType: nil
        ).digest
    }

    @Test func blobsAreSharedOnDisk() async throws {
        try await withStore { store, directory in
            let bytes = patternBytes(10_000, seed: 1)
            let digest = DigestHasher.digest(of: bytes)
            try await store.putBlob(repository: repository, digest: digest, body: ByteChunks(bytes))
            try await store.putBlob(repository: try RepositoryName("other"), digest: digest, body: ByteChunks(bytes))
            let path = directory.path + "/blobs/sha256/\(digest.encoded.prefix(2))/\(digest.encoded)"
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(try await store.totalBlobBytes() == 10_000)
            #expect(FileManager.default.fileExists(atPath: directory.path + "/registry.sqlite"))
            // Nothing left in uploads/ once blobs are committed.
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/uploads").isEmpty)
        }
    }

    /// Starts an upload with one chunk in a store that is then closed, as a restart would.
    func uploadThenClose(_ chunk: [UInt8], in directory: TemporaryDirectory) async throws -> UploadID {
        let store = try RegistryStore(directory: directory.path)
        let id = try await store.startUpload(repository: repository)
        _ = try await store.appendToUpload(repository: repository, id: id, expectedStart: 0, body: ByteChunks(chunk))
        return id
    }

    @Test func uploadResumesAfterReopen() async throws {
        let directory = try TemporaryDirectory("store")
        defer { directory.remove() }
        let bytes = patternBytes(300_000, seed: 2)
        let digest = DigestHasher.digest(of: bytes)
        let id = try await uploadThenClose(Array(bytes[..<100_000]), in: directory)
        let reopened = try RegistryStore(directory: directory.path)
        #expect(try await reopened.uploadOffset(repository: repository, id: id) == 100_000)
        _ = try await reopened.appendToUpload(
            repository: repository, id: id, expectedStart: 100_000, body: ByteChunks(Array(bytes[100_000..<200_000])))
        try await reopened.finishUpload(
            repository: repository, id: id, digest: digest, body: ByteChunks(Array(bytes[200_000...])))
        let reader = try await reopened.openBlob(repository: repository, digest: digest)
        #expect(reader.size == 300_000)
    }

    /// The running hash survives a restart with the session: the file is not read back. Proved by
    /// changing the bytes on disk while the store is closed: a read-back would hash the change.
    @Test func resumedUploadContinuesItsSavedHash() async throws {
        let directory = try TemporaryDirectory("store")
        defer { directory.remove() }
        let bytes = patternBytes(300_000, seed: 2)
        let digest = DigestHasher.digest(of: bytes)
        let id = try await uploadThenClose(Array(bytes[..<100_000]), in: directory)
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: directory.path + "/uploads/" + id.value))
        try file.write(contentsOf: Data(repeating: 0, count: 10))
        // A request the crash cut short left bytes that were never acknowledged.
        try file.seekToEnd()
        try file.write(contentsOf: Data(repeating: 7, count: 5_000))
        try file.close()

        let reopened = try RegistryStore(directory: directory.path)
        #expect(try await reopened.uploadOffset(repository: repository, id: id) == 100_000)
        _ = try await reopened.appendToUpload(
            repository: repository, id: id, expectedStart: 100_000, body: ByteChunks(Array(bytes[100_000...])))
        try await reopened.finishUpload(repository: repository, id: id, digest: digest, body: ByteChunks([UInt8]()))
        #expect(try await reopened.openBlob(repository: repository, digest: digest).size == 300_000)
    }

    /// A file shorter than its saved hash (a power cut lost unsynced bytes) is resumed from what
    /// it holds, rehashed from the file.
    @Test func uploadShorterThanItsSavedHashResumesFromTheFile() async throws {
        let directory = try TemporaryDirectory("store")
        defer { directory.remove() }
        let bytes = patternBytes(300_000, seed: 3)
        let digest = DigestHasher.digest(of: bytes)
        let id = try await uploadThenClose(Array(bytes[..<100_000]), in: directory)
        #expect(truncate(directory.path + "/uploads/" + id.value, 60_000) == 0)
        let reopened = try RegistryStore(directory: directory.path)
        #expect(try await reopened.uploadOffset(repository: repository, id: id) == 60_000)
        try await reopened.finishUpload(
            repository: repository, id: id, digest: digest, expectedStart: 60_000,
            body: ByteChunks(Array(bytes[60_000...])))
        #expect(try await reopened.openBlob(repository: repository, digest: digest).size == 300_000)
    }

    @Test func failedChunkLeavesUploadAsItWas() async throws {
        try await withStore { store, _ in
            let id = try await store.startUpload(repository: repository)
            _ = try await store.appendToUpload(
                repository: repository, id: id, expectedStart: 0, body: ByteChunks(patternBytes(1000, seed: 3)))
            await #expect(throws: StoreError.self) {
                try await store.appendToUpload(
                    repository: repository, id: id, expectedStart: 0, body: ByteChunks(patternBytes(10, seed: 4)))
            }
            await #expect(throws: (any Error).self) {
                try await store.appendToUpload(repository: repository, id: id, expectedStart: 1000, body: FailingBody())
            }
            #expect(try await store.uploadOffset(repository: repository, id: id) == 1000)
        }
    }

    @Test func garbageCollectionHonoursGraceAndReferences() async throws {
        let clock = ManualClock()
        try await withStore(clock: clock) { store, directory in
            let kept = patternBytes(5000, seed: 5)
            let manifestDigest = try await image(store, tag: "v1", layer: kept)
            let loose = patternBytes(7000, seed: 6)
            let looseDigest = DigestHasher.digest(of: loose)
            try await store.putBlob(repository: repository, digest: looseDigest, body: ByteChunks(loose))

            // Within the grace period nothing goes.
            clock.advance(store.options.garbageGracePeriod - 10)
            #expect(try await store.collectGarbage().blobsDeleted == 0)
            #expect(try await store.blobSize(repository: repository, digest: looseDigest) == 7000)

            clock.advance(20)
            let report = try await store.collectGarbage()
            #expect(report.blobsDeleted == 1)
            #expect(report.bytesFreed == 7000)
            #expect(try await store.blobSize(repository: repository, digest: looseDigest) == nil)
            #expect(
                !FileManager.default.fileExists(
                    atPath: directory.path + "/blobs/sha256/\(looseDigest.encoded.prefix(2))/\(looseDigest.encoded)"))
            // The image and everything it names survive.
            #expect(
                try await store.manifest(repository: repository, reference: .tag(try Tag("v1"))).digest
                    == manifestDigest)
            #expect(try await store.blobSize(repository: repository, digest: DigestHasher.digest(of: kept)) == 5000)

            // Once the manifest is deleted, its blobs go after the grace period.
            try await store.deleteManifest(repository: repository, digest: manifestDigest)
            #expect(try await store.collectGarbage().blobsDeleted == 3)
            #expect(try await store.totalBlobBytes() == 0)
        }
    }

    @Test func orphanFilesAndStaleUploadsAreSwept() async throws {
        let directory = try TemporaryDirectory("store")
        defer { directory.remove() }
        let clock = ManualClock()
        var options = RegistryStore.Options()
        options.clock = clock.read
        options.garbageGracePeriod = 0
        do {
            _ = try RegistryStore(directory: directory.path, options: options)
        }
        // Debris a crash could leave: a verified blob file never recorded, a temp file with no session.
        let orphan = patternBytes(100, seed: 7)
        let orphanDigest = DigestHasher.digest(of: orphan)
        let orphanPath = directory.path + "/blobs/sha256/\(orphanDigest.encoded.prefix(2))/\(orphanDigest.encoded)"
        #expect(FileManager.default.createFile(atPath: orphanPath, contents: Data(orphan)))
        #expect(
            FileManager.default.createFile(
                atPath: directory.path + "/uploads/partial-monolithic", contents: Data([1, 2, 3])))

        clock.advance(Date().timeIntervalSince1970)
        let store = try RegistryStore(directory: directory.path, options: options)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/uploads").isEmpty)
        #expect(try await store.collectGarbage().orphanFilesDeleted == 1)
        #expect(!FileManager.default.fileExists(atPath: orphanPath))
    }

    @Test func referrersAndTagsSurviveReopen() async throws {
        let directory = try TemporaryDirectory("store")
        defer { directory.remove() }
        let digest: Digest
        do {
            let store = try RegistryStore(directory: directory.path)
            digest = try await image(store, tag: "keep", layer: patternBytes(100, seed: 8))
        }
        let store = try RegistryStore(directory: directory.path)
        #expect(try await store.tags(repository: repository, after: nil, limit: 10) == ["keep"])
        #expect(try await store.manifest(repository: repository, reference: .digest(digest)).digest == digest)
    }

    /// A process killed before the store's first migration committed leaves an empty database
    /// file: the inspection finds an empty, sound store, and the next open makes the schema.
    @Test func aDatabaseKilledBeforeItsFirstMigrationIsAnEmptySoundStore() async throws {
        let directory = try TemporaryDirectory("store-unmigrated")
        defer { directory.remove() }
        #expect(FileManager.default.createFile(atPath: directory.path + "/registry.sqlite", contents: Data()))
        #expect(try StoreInspection.inspect(directory: directory.path).problems.isEmpty)
        let store = try RegistryStore(directory: directory.path)
        _ = try await image(store, tag: "after", layer: patternBytes(100, seed: 3))
        #expect(try StoreInspection.inspect(directory: directory.path).problems.isEmpty)
    }

    /// A store an older version's crash left with rows whose files are gone reopens repaired:
    /// the blob is unknown (so clients upload it again), a manifest without its bytes goes with its tags.
    @Test func reopeningDropsRowsWhoseFilesAreGone() async throws {
        let directory = try TemporaryDirectory("store-repair")
        defer { directory.remove() }
        let layer = patternBytes(4096, seed: 7)
        let layerDigest = DigestHasher.digest(of: layer)
        let manifestDigest: Digest
        do {
            let store = try RegistryStore(directory: directory.path)
            manifestDigest = try await image(store, tag: "kept", layer: layer)
        }
        for digest in [layerDigest, manifestDigest] {
            try FileManager.default.removeItem(
                atPath: directory.path + "/blobs/sha256/\(digest.encoded.prefix(2))/\(digest.encoded)")
        }
        let inspection = try StoreInspection.inspect(directory: directory.path)
        #expect(Set(inspection.rowsWithoutFiles) == [layerDigest.string, manifestDigest.string])
        #expect(inspection.incompleteTags.count == 1)

        let store = try RegistryStore(directory: directory.path)
        #expect(try await !store.hasBlob(layerDigest))
        await #expect(throws: StoreError.self) {
            _ = try await store.manifest(repository: repository, reference: .tag(try Tag("kept")))
        }
        #expect(try StoreInspection.inspect(directory: directory.path).problems.isEmpty)
    }
}

/// A body that delivers some bytes, then fails like a dropped connection.
struct FailingBody: AsyncSequence {
    typealias Element = ByteBuffer
    struct Dropped: Error {}
    struct AsyncIterator: AsyncIteratorProtocol {
        var sent = false
        mutating func next() async throws -> ByteBuffer? {
            if sent { throw Dropped() }
            sent = true
            return ByteBuffer(bytes: patternBytes(500, seed: 9))
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
}
