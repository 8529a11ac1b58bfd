import GRDB
import NIOCore
import NIOPosix
import OCI

extension RegistryStore {
    /// Streams a request body into `file`, hashing while receiving. Returns the bytes written.
    /// On failure the file may hold part of the body: the caller truncates or removes it.
    func ingest<Body: AsyncSequence>(
        _ body: Body, into file: PosixFile, hasher: inout DigestHasher
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        let writer = HashingFileWriter(file: file, hasher: hasher)
        do {
            for try await buffer in body {
                try await writer.append(buffer)
            }
            hasher = try await writer.finish()
        } catch {
            await writer.abandon()
            throw error
        }
        return writer.written
    }

    /// Hashes a whole file; used when a resumed or sha512 upload has no running hash, and by inspection.
    static func hashFile(_ file: PosixFile, algorithm: Digest.Algorithm) throws(StoreError) -> DigestHasher {
        var hasher = DigestHasher(algorithm)
        var offset: Int64 = 0
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = try file.read(into: chunk, at: offset)
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            offset += Int64(n)
        }
        return hasher
    }

    /// Makes a verified temp file durable and moves it into `blobs/`, then records it.
    ///
    /// The rename happens inside the write transaction so that garbage collection, which deletes
    /// inside a write transaction too, can never unlink a blob that is being committed.
    func commitBlob(
        temporaryPath: String, file: PosixFile, digest: Digest, size: Int64,
        repository: RepositoryName?, upload: UploadID?
    ) async throws(StoreError) {
        do {
            try await NIOThreadPool.singleton.runIfActive { try file.sync() }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "fsync failed: \(error)")
        }
        let layout = self.layout
        let now = options.clock()
        try await write { db in
            let target = layout.blobPath(digest)
            if FileSystem.exists(target) {
                FileSystem.remove(temporaryPath)
            } else {
                try FileSystem.renameDurably(temporaryPath, to: target)
            }
            try Self.recordBlob(db, digest: digest, size: size, now: now)
            if let repository {
                try Self.ensureRepository(db, repository, now: now)
                try Self.link(db, digest, into: repository)
            }
            if let upload {
                try db.execute(sql: "DELETE FROM uploads WHERE id = ?", arguments: [upload.value])
            }
        }
    }

    /// Writes bytes already in memory (a manifest) as a blob, if not present yet.
    func storeBlobBytes(_ bytes: [UInt8], digest: Digest) async throws(StoreError) {
        let id = UploadID()
        let path = layout.uploadPath(id)
        let file = try PosixFile.create(path)
        do {
            try Self.writeAll(bytes, to: file)
            try await commitBlob(
                temporaryPath: path, file: file, digest: digest, size: Int64(bytes.count), repository: nil, upload: nil)
        } catch {
            FileSystem.remove(path)
            throw error
        }
    }

    /// Records a blob, restarting its grace period if it was already known.
    static func recordBlob(_ db: Database, digest: Digest, size: Int64, now: Double) throws {
        try db.execute(
            sql: """
                INSERT INTO blobs(digest, size, created_at) VALUES (?, ?, ?)
                ON CONFLICT(digest) DO UPDATE SET created_at = excluded.created_at
                """,
            arguments: [digest.string, size, now])
    }

    static func link(_ db: Database, _ digest: Digest, into repository: RepositoryName) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO repository_blobs(repository, digest) VALUES (?, ?)",
            arguments: [repository.value, digest.string])
    }
}

extension RegistryStore {
    static func writeAll(_ bytes: [UInt8], to file: PosixFile) throws(StoreError) {
        var failure: StoreError?
        bytes.withUnsafeBytes { raw in
            do { try file.write(raw) } catch let error as StoreError { failure = error } catch {}
        }
        if let failure { throw failure }
    }
}
