import GRDB
import Logging
import NIOCore
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
    public func uploadOffset(repository: RepositoryName, id: UploadID) throws(StoreError) -> Int64 {
        let state = try acquire(id, repository: repository)
        sessions.release(id, state: state)
        return state.offset
    }

    /// Appends a chunk to an upload. With `expectedStart`, the chunk must begin where the upload
    /// ends. A chunk is kept whole or not at all. Returns the new length of the upload and the
    /// bytes this chunk added.
    @discardableResult
    public func appendToUpload<Body: AsyncSequence>(
        repository: RepositoryName, id: UploadID, expectedStart: Int64?, body: Body
    ) async throws -> (offset: Int64, received: Int64) where Body.Element == ByteBuffer {
        let state = try acquire(id, repository: repository)
        if let expectedStart, expectedStart != state.offset {
            sessions.release(id, state: state)
            throw StoreError(
                .rangeNotSatisfiable, "chunk starts at \(expectedStart) but the upload holds \(state.offset) bytes",
                uploadOffset: state.offset)
        }
        let (newState, _) = try await appendKeepingWhole(id, state: state, body: body)
        sessions.release(id, state: newState)
        return (newState.offset, newState.offset - state.offset)
    }

    /// Appends an optional last chunk, verifies the digest, and commits the blob into `repository`.
    /// With `expectedStart`, the chunk must begin where the upload ends. A digest mismatch
    /// discards the upload.
    /// Returns the blob's size and the bytes the last chunk added.
    @discardableResult
    public func finishUpload<Body: AsyncSequence>(
        repository: RepositoryName, id: UploadID, digest: Digest, expectedStart: Int64? = nil, body: Body?
    ) async throws -> (size: Int64, received: Int64) where Body.Element == ByteBuffer {
        var state = try acquire(id, repository: repository)
        if let expectedStart, expectedStart != state.offset {
            sessions.release(id, state: state)
            throw StoreError(
                .rangeNotSatisfiable, "last chunk starts at \(expectedStart) but the upload holds \(state.offset) bytes",
                uploadOffset: state.offset)
        }
        let before = state.offset
        let file: PosixFile
        if let body {
            (state, file) = try await appendKeepingWhole(id, state: state, body: body)
        } else {
            do {
                file = try PosixFile.openForAppending(layout.uploadPath(id))
            } catch {
                sessions.release(id, state: state)
                throw error
            }
        }
        let actual: Digest
        do {
            if digest.algorithm == .sha256, let hasher = state.hasher {
                actual = hasher.finalize()
            } else {
                actual = try Self.hashFile(try PosixFile.openForReading(layout.uploadPath(id)), algorithm: digest.algorithm).finalize()
            }
        } catch {
            sessions.release(id, state: state)
            throw error
        }
        guard actual == digest else {
            await discardUpload(id)
            throw StoreError(.digestMismatch, "upload content has digest \(actual), not \(digest)")
        }
        do {
            try await commitBlob(
                temporaryPath: layout.uploadPath(id), file: file, digest: digest, size: state.offset,
                repository: repository, upload: id)
        } catch {
            sessions.release(id, state: state)
            throw error
        }
        sessions.remove(id)
        return (state.offset, state.offset - before)
    }

    /// Cancels an upload session and deletes what it received.
    public func cancelUpload(repository: RepositoryName, id: UploadID) async throws(StoreError) {
        let state = try acquire(id, repository: repository)
        _ = state
        await discardUpload(id)
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
            try await commitBlob(temporaryPath: path, file: file, digest: digest, size: size, repository: repository, upload: nil)
            return size
        } catch {
            FileSystem.remove(path)
            throw error
        }
    }

    // MARK: - Internals

    private func acquire(_ id: UploadID, repository: RepositoryName) throws(StoreError) -> UploadSessions.State {
        let layout = self.layout
        let database = self.database
        return try sessions.acquire(id, repository: repository) { () throws(StoreError) -> UploadSessions.State? in
            // Not in memory: a session from before a restart, if its row and file survived.
            let owner: String?
            do {
                owner = try database.read { db in
                    try String.fetchOne(db, sql: "SELECT repository FROM uploads WHERE id = ?", arguments: [id.value])
                }
            } catch {
                throw StoreError(.io, "database read failed: \(error)")
            }
            guard let owner, let name = try? RepositoryName(owner),
                  let status = FileSystem.status(layout.uploadPath(id))
            else { return nil }
            return UploadSessions.State(repository: name, offset: status.size, hasher: nil)
        }
    }

    /// Appends a body; on any failure the file and hash go back to where they were.
    private func appendKeepingWhole<Body: AsyncSequence>(
        _ id: UploadID, state: UploadSessions.State, body: Body
    ) async throws -> (UploadSessions.State, PosixFile) where Body.Element == ByteBuffer {
        var file: PosixFile?
        do {
            let opened = try PosixFile.openForAppending(layout.uploadPath(id))
            file = opened
            var hasher = try state.hasher ?? Self.hashFile(try PosixFile.openForReading(layout.uploadPath(id)), algorithm: .sha256)
            let written = try await ingest(body, into: opened, hasher: &hasher)
            var newState = state
            newState.offset += written
            newState.hasher = hasher
            return (newState, opened)
        } catch {
            try? file?.truncate(to: state.offset)
            sessions.release(id, state: state)
            throw error
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
                return Dictionary(rows.map { ($0["id"] as String, $0["created_at"] as Double) }, uniquingKeysWith: { a, _ in a })
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
