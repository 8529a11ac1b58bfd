import GRDB
import OCI

extension RegistryStore {
    /// The size of a blob held in `repository`, or nil.
    public func blobSize(repository: RepositoryName, digest: Digest) async throws(StoreError) -> Int64? {
        try await read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT b.size FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest
                    WHERE rb.repository = ? AND rb.digest = ?
                    """,
                arguments: [repository.value, digest.string])
        }
    }

    /// Opens a blob held in `repository` for reading.
    public func openBlob(repository: RepositoryName, digest: Digest) async throws(StoreError) -> BlobReader {
        guard let size = try await blobSize(repository: repository, digest: digest) else {
            throw StoreError(.blobUnknown, "blob \(digest) is unknown to repository \(repository)")
        }
        return try reader(digest, size: size)
    }

    /// The size of a blob whichever repository holds it, or nil: the site's peers name content
    /// by digest alone (they hold the site credential, and knowing the digest is proof enough).
    public func heldBlobSize(_ digest: Digest) async throws(StoreError) -> Int64? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT size FROM blobs WHERE digest = ?", arguments: [digest.string])
        }
    }

    /// Opens a blob for reading whichever repository holds it.
    public func openHeldBlob(_ digest: Digest) async throws(StoreError) -> BlobReader {
        guard let size = try await heldBlobSize(digest) else {
            throw StoreError(.blobUnknown, "blob \(digest) is not held")
        }
        return try reader(digest, size: size)
    }

    private func reader(_ digest: Digest, size: Int64) throws(StoreError) -> BlobReader {
        let file: PosixFile
        do {
            file = try PosixFile.openForReading(layout.blobPath(digest))
        } catch {
            throw StoreError(.blobUnknown, "blob \(digest) is missing from disk")
        }
        return BlobReader(file: file, digest: digest, size: size)
    }

    /// Opens a blob by digest whichever repository holds it (for the satellite's own use).
    func openAnyBlob(_ digest: Digest) throws(StoreError) -> PosixFile {
        try PosixFile.openForReading(layout.blobPath(digest))
    }

    /// Removes a blob from `repository`. Its bytes stay until garbage collection finds them unused.
    public func deleteBlob(repository: RepositoryName, digest: Digest) async throws(StoreError) {
        let removed = try await write { db in
            try db.execute(
                sql: "DELETE FROM repository_blobs WHERE repository = ? AND digest = ?",
                arguments: [repository.value, digest.string])
            return db.changesCount > 0
        }
        guard removed else {
            throw StoreError(.blobUnknown, "blob \(digest) is unknown to repository \(repository)")
        }
    }

    /// Makes a blob held elsewhere available in `repository` without copying it.
    ///
    /// With `from`, the blob must be held in that repository; without, anywhere in the store
    /// (knowing the digest is proof enough for a single-tenant edge registry).
    /// Returns false when the blob is not there to mount.
    public func mountBlob(
        _ digest: Digest, from source: RepositoryName?, into repository: RepositoryName
    ) async throws(StoreError) -> Bool {
        let now = options.clock()
        return try await write { db in
            let present: Bool
            if let source {
                present =
                    try Bool.fetchOne(
                        db, sql: "SELECT 1 FROM repository_blobs WHERE repository = ? AND digest = ?",
                        arguments: [source.value, digest.string]) ?? false
            } else {
                present =
                    try Bool.fetchOne(db, sql: "SELECT 1 FROM blobs WHERE digest = ?", arguments: [digest.string])
                    ?? false
            }
            guard present else { return false }
            try Self.ensureRepository(db, repository, now: now)
            try Self.link(db, digest, into: repository)
            // A mount is a fresh use: give the blob a new grace period before its manifest arrives.
            try db.execute(sql: "UPDATE blobs SET created_at = ? WHERE digest = ?", arguments: [now, digest.string])
            return true
        }
    }
}
