import Foundation
import GRDB
import Logging
import NIOCore
import NIOPosix
import OCI

extension RegistryStore {
    /// Opens an upload session in `repository`.
    public func startUpload(repository: RepositoryName) async throws(StoreError) -> UploadID {
        let id = UploadID()
        let path = layout.uploadPath(id)
        _ = try PosixFile.create(path)
        let now = options.clock()
        do {
            try await write { db in
                try db.execute(
                    sql: "INSERT INTO uploads(id, repository, created_at) VALUES (?, ?, ?)",
                    arguments: [id.value, repository.value, now])
            }
        } catch {
            // A session that could not be recorded (a full disk) leaves no file behind.
            FileSystem.remove(path)
            throw error
        }
        sessions.open(id, repository: repository)
        return id
    }

    /// The number of bytes an upload session holds.
    public func uploadOffset(repository: RepositoryName, id: UploadID) async throws(StoreError) -> Int64 {
        try await withUpload(id, repository: repository) { upload in upload.state.offset }
    }

    /// Appends a chunk to an upload. With `expectedStart`, the chunk must begin where the upload
    /// ends. A chunk is kept whole or not at all. Returns the new length of the upload and the
    /// bytes this chunk added.
    @discardableResult
    public func appendToUpload<Body: AsyncSequence>(
        repository: RepositoryName, id: UploadID, expectedStart: Int64?, body: Body
    ) async throws -> (offset: Int64, received: Int64) where Body.Element == ByteBuffer {
        try await withUpload(id, repository: repository) { upload in
            let before = upload.state.offset
            try Self.check(expectedStart, of: "chunk", against: before)
            _ = try await appendKeepingWhole(upload, body: body)
            return (upload.state.offset, upload.state.offset - before)
        }
    }

    /// Appends an optional last chunk, verifies the digest, and commits the blob into `repository`.
    /// With `expectedStart`, the chunk must begin where the upload ends. A digest mismatch
    /// discards the upload.
    /// Returns the blob's size and the bytes the last chunk added.
    @discardableResult
    public func finishUpload<Body: AsyncSequence>(
        repository: RepositoryName, id: UploadID, digest: Digest, expectedStart: Int64? = nil, body: Body?
    ) async throws -> (size: Int64, received: Int64) where Body.Element == ByteBuffer {
        try await withUpload(id, repository: repository) { upload in
            let before = upload.state.offset
            try Self.check(expectedStart, of: "last chunk", against: before)
            let file =
                if let body {
                    try await appendKeepingWhole(upload, body: body)
                } else {
                    try PosixFile.openForAppending(layout.uploadPath(id))
                }
            let actual: Digest
            if let hasher = upload.state.hasher, hasher.algorithm == digest.algorithm {
                actual = hasher.finalize()
            } else {
                // Only the client's last request names the algorithm, and hashing every push
                // with SHA-512 as well would cost more than half again its CPU: a chunked sha512
                // upload is hashed from its file, once, on the I/O pool.
                actual = try await hashFile(at: layout.uploadPath(id), algorithm: digest.algorithm).finalize()
            }
            guard actual == digest else {
                await discardUpload(id)
                upload.end()
                throw StoreError(.digestMismatch, "upload content has digest \(actual), not \(digest)")
            }
            try await commitBlob(
                temporaryPath: layout.uploadPath(id), file: file, digest: digest, size: upload.state.offset,
                repository: repository, upload: id)
            upload.end()
            return (upload.state.offset, upload.state.offset - before)
        }
    }

    /// Cancels an upload session and deletes what it received.
    public func cancelUpload(repository: RepositoryName, id: UploadID) async throws(StoreError) {
        try await withUpload(id, repository: repository) { upload in
            await discardUpload(id)
            upload.end()
        }
    }

    /// Stores a whole blob from one request body, verifying it against `digest`.
    /// Returns the blob's size.
    @discardableResult
    public func putBlob<Body: AsyncSequence>(
        repository: RepositoryName, digest: Digest, body: Body
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        let id = UploadID()
        let path = layout.uploadPath(id)
        let file = try PosixFile.create(path)
        do {
            var hasher = DigestHasher(digest.algorithm)
            let size = try await ingest(body, into: file, hasher: &hasher)
            let actual = hasher.finalize()
            guard actual == digest else {
                throw StoreError(.digestMismatch, "content has digest \(actual), not \(digest)")
            }
            try await commitBlob(
                temporaryPath: path, file: file, digest: digest, size: size, repository: repository, upload: nil)
            return size
        } catch {
            FileSystem.remove(path)
            throw error
        }
    }

    // MARK: - Internals

    /// Runs `body` with exclusive use of a session, and releases it when `body` returns or
    /// throws, with the state `body` left: this is the one place a session is released.
    private func withUpload<T>(
        _ id: UploadID, repository: RepositoryName, _ body: (UploadLease) async throws -> T
    ) async throws(StoreError) -> T {
        let lease = UploadLease(id: id, state: try acquire(id, repository: repository))
        defer {
            if lease.ended { sessions.remove(id) } else { sessions.release(id, state: lease.state) }
        }
        do {
            return try await body(lease)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "upload \(id): \(error)")
        }
    }

    private func acquire(_ id: UploadID, repository: RepositoryName) throws(StoreError) -> UploadSessions.State {
        let layout = self.layout
        let database = self.database
        return try sessions.acquire(id, repository: repository) { () throws(StoreError) -> UploadSessions.State? in
            // Not in memory: a session from before a restart, if its row and file survived.
            let row: Row?
            do {
                row = try database.read { db in
                    try Row.fetchOne(
                        db, sql: "SELECT repository, hash_state FROM uploads WHERE id = ?", arguments: [id.value])
                }
            } catch {
                throw StoreError(.io, "database read failed: \(error)")
            }
            let path = layout.uploadPath(id)
            guard let row, let owner: String = row["repository"], let name = try? RepositoryName(owner),
                let status = FileSystem.status(path)
            else { return nil }
            return Self.resumedState(repository: name, path: path, fileSize: status.size, savedHash: row["hash_state"])
        }
    }

    /// A session after a restart continues from its saved hash, which covers the bytes that were
    /// acknowledged: anything after them in the file (a request cut by the crash) is dropped and
    /// the client resends it from the offset it is told. Without a usable saved hash (a session
    /// from an older version, or a file that lost bytes to a power cut) the offset is the file's
    /// size and the hash is rebuilt from the file at the next append.
    private static func resumedState(
        repository: RepositoryName, path: String, fileSize: Int64, savedHash: Data?
    ) -> UploadSessions.State {
        let rebuilt = UploadSessions.State(repository: repository, offset: fileSize, hasher: nil)
        guard let savedHash, let hasher = DigestHasher(resuming: savedHash), let count = hasher.savedState?.count,
            count <= fileSize
        else { return rebuilt }
        if count < fileSize {
            do { try PosixFile.openForAppending(path).truncate(to: count) } catch { return rebuilt }
        }
        return UploadSessions.State(repository: repository, offset: count, hasher: hasher)
    }

    private static func check(_ expectedStart: Int64?, of what: String, against offset: Int64) throws(StoreError) {
        if let expectedStart, expectedStart != offset {
            throw StoreError(
                .rangeNotSatisfiable, "\(what) starts at \(expectedStart) but the upload holds \(offset) bytes",
                uploadOffset: offset)
        }
    }

    /// Appends a body and advances the lease; on any failure the file goes back to where it was
    /// and the lease is unchanged. The running hash is saved with the session's row before the
    /// chunk is acknowledged, so that a restart continues it.
    private func appendKeepingWhole<Body: AsyncSequence>(
        _ upload: UploadLease, body: Body
    ) async throws -> PosixFile where Body.Element == ByteBuffer {
        let path = layout.uploadPath(upload.id)
        let file = try PosixFile.openForAppending(path)
        do {
            var hasher =
                if let running = upload.state.hasher { running } else {
                    try await hashFile(at: path, algorithm: .sha256)
                }
            let written = try await ingest(body, into: file, hasher: &hasher)
            if let saved = hasher.savedState {
                try await write { db in
                    try db.execute(
                        sql: "UPDATE uploads SET hash_state = ? WHERE id = ?",
                        arguments: [Data(saved.bytes), upload.id.value])
                }
            }
            upload.state.offset += written
            upload.state.hasher = hasher
            return file
        } catch {
            try? file.truncate(to: upload.state.offset)
            throw error
        }
    }

    /// Hashes a whole upload file on the I/O pool.
    private func hashFile(at path: String, algorithm: Digest.Algorithm) async throws(StoreError) -> DigestHasher {
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                try Self.hashFile(try PosixFile.openForReading(path), algorithm: algorithm)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "cannot hash \(path): \(error)")
        }
    }

    private func discardUpload(_ id: UploadID) async {
        sessions.remove(id)
        FileSystem.remove(layout.uploadPath(id))
        _ = try? await write { db in
            try db.execute(sql: "DELETE FROM uploads WHERE id = ?", arguments: [id.value])
        }
    }

    /// Deletes upload files no session owns and sessions older than `uploadExpiry`.
    ///
    /// At startup no request is running, so every file without a row is debris from a crash
    /// (a monolithic push or a manifest write); later, only files idle past the expiry are.
    public func sweepUploads(startup: Bool = false) throws(StoreError) {
        let now = options.clock()
        let expiry = options.uploadExpiry
        let rows: [String: Double]
        do {
            rows = try database.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT id, created_at FROM uploads")
                return Dictionary(
                    rows.map { ($0["id"] as String, $0["created_at"] as Double) }, uniquingKeysWith: { a, _ in a })
            }
        } catch {
            throw StoreError(.io, "database read failed: \(error)")
        }
        var expired: [String] = []
        let files = Set(FileSystem.list(layout.uploadsDirectory))
        for name in files {
            let path = layout.uploadsDirectory + "/" + name
            let modified = FileSystem.status(path)?.modified ?? 0
            let idle = now - modified > expiry
            if rows[name] == nil {
                if startup || idle { FileSystem.remove(path) }
            } else if idle {
                FileSystem.remove(path)
                expired.append(name)
            }
        }
        // Rows whose file is gone can never be resumed.
        expired += rows.keys.filter { !files.contains($0) }
        guard !expired.isEmpty else { return }
        for name in expired {
            if let id = UploadID(name) { sessions.remove(id) }
        }
        do {
            try database.write { db in
                for name in expired {
                    try db.execute(sql: "DELETE FROM uploads WHERE id = ?", arguments: [name])
                }
            }
        } catch {
            throw StoreError(.io, "database write failed: \(error)")
        }
        logger.info("swept stale uploads", metadata: ["count": "\(expired.count)"])
    }
}

/// A session held by one request: its state as the request changes it, and whether the request
/// ended it (finished, cancelled or discarded).
final class UploadLease: @unchecked Sendable {
    let id: UploadID
    var state: UploadSessions.State
    private(set) var ended = false

    init(id: UploadID, state: UploadSessions.State) {
        self.id = id
        self.state = state
    }

    func end() { ended = true }
}
