import GRDB
import NIOCore
import OCI

/// A blob arriving from elsewhere (a download), written to `uploads/` and hashed as it arrives,
/// then committed whole or not at all. `offset` is where a resumed transfer must continue.
///
/// Used by one task at a time; not for concurrent appends.
public final class BlobIngest: @unchecked Sendable {
    public let digest: Digest
    private var writer: HashingFileWriter
    private let path: String
    private let store: RegistryStore
    private var finished = false
    private let onWritten: (@Sendable (Int64) -> Void)?

    init(store: RegistryStore, digest: Digest, onWritten: (@Sendable (Int64) -> Void)?) throws(StoreError) {
        let id = UploadID()
        self.store = store
        self.digest = digest
        self.path = store.layout.uploadPath(id)
        self.onWritten = onWritten
        self.writer = HashingFileWriter(
            file: try PosixFile.create(path), hasher: DigestHasher(digest.algorithm), onWritten: onWritten)
    }

    /// Reads what has reached the file so far, to stream a blob while it arrives; `size` is what
    /// the blob will hold. The reader goes on working once the blob is committed (or discarded).
    public func openReader(size: Int64) throws(StoreError) -> BlobReader {
        BlobReader(file: try PosixFile.openForReading(path), digest: digest, size: size)
    }

    /// Where the blob continues: the bytes received so far.
    public var offset: Int64 { writer.written }

    deinit {
        if !finished { FileSystem.remove(path) }
    }

    /// Appends bytes that continue the blob at `offset`.
    public func append(_ buffer: ByteBuffer) async throws(StoreError) {
        try await writer.append(buffer)
    }

    /// Throws away what arrived, to start over from byte 0.
    public func restart() async throws(StoreError) {
        await writer.abandon()
        try writer.file.truncate(to: 0)
        onWritten?(0)
        writer = HashingFileWriter(file: writer.file, hasher: DigestHasher(digest.algorithm), onWritten: onWritten)
    }

    /// Verifies the digest and commits the blob into `repository` (nil: held, in no repository
    /// until a manifest names it). A mismatch discards it. `verified` runs once the digest
    /// matched, before the file is made durable: the bytes are known right from then on
    /// (pull-through lets its clients have the last byte there rather than after the fsync).
    public func commit(into repository: RepositoryName?, verified: () -> Void = {}) async throws(StoreError) {
        let actual = try await writer.finish().finalize()
        guard actual == digest else {
            await discard()
            throw StoreError(.digestMismatch, "downloaded content has digest \(actual), not \(digest)")
        }
        verified()
        finished = true
        do {
            try await store.commitBlob(
                temporaryPath: path, file: writer.file, digest: digest, size: offset, repository: repository,
                upload: nil)
        } catch {
            FileSystem.remove(path)
            throw error
        }
    }

    /// Deletes what arrived.
    public func discard() async {
        await writer.abandon()
        finished = true
        FileSystem.remove(path)
    }
}

extension RegistryStore {
    /// Starts receiving a blob whose digest is known in advance. `onWritten` is told (on a
    /// blocking-I/O thread) how many bytes the file holds each time more reach it, and 0 when
    /// the ingest restarts.
    public func beginIngest(
        of digest: Digest, onWritten: (@Sendable (Int64) -> Void)? = nil
    ) throws(StoreError) -> BlobIngest {
        try BlobIngest(store: self, digest: digest, onWritten: onWritten)
    }

    /// Receives a blob whose digest is known: what `body` appends is committed into `repository`
    /// (nil: held in none) when `body` returns, and discarded when it throws. Content enters the
    /// store whole or not at all, and no caller has to remember the discard. `onWritten` and
    /// `verified` are those of `beginIngest` and `BlobIngest.commit`.
    public func ingestBlob<T>(
        _ digest: Digest, into repository: RepositoryName?, onWritten: (@Sendable (Int64) -> Void)? = nil,
        verified: () -> Void = {}, _ body: (BlobIngest) async throws -> T
    ) async throws -> T {
        let ingest = try beginIngest(of: digest, onWritten: onWritten)
        do {
            let result = try await body(ingest)
            try await ingest.commit(into: repository, verified: verified)
            return result
        } catch {
            await ingest.discard()
            throw error
        }
    }

    /// Whether the store holds a blob, in any repository.
    public func hasBlob(_ digest: Digest) async throws(StoreError) -> Bool {
        try await read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM blobs WHERE digest = ?", arguments: [digest.string]) ?? false
        }
    }

    /// Every tag of every repository with the digest it points to.
    public func allTags() async throws(StoreError) -> [(repository: String, tag: String, digest: String)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT repository, tag, digest FROM tags ORDER BY repository, tag").map {
                ($0[0], $0[1], $0[2])
            }
        }
    }

    /// Every manifest of every repository.
    public func allManifests() async throws(StoreError) -> [(repository: String, digest: String)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT repository, digest FROM manifests ORDER BY repository, digest").map {
                ($0[0], $0[1])
            }
        }
    }
}
