import Foundation
import GRDB
import OCI

extension RegistryStore {
    /// Stores a manifest byte-exact under its digest and, for a tag reference, points the tag at it.
    ///
    /// Everything the manifest names must already be present (blobs anywhere in the store, child
    /// manifests in this repository), except non-distributable layers and the subject. The
    /// manifest row, its references and the tag change commit in one transaction.
    ///
    /// `requireChildManifests: false` accepts an index whose children are absent: a mirror that
    /// keeps only some platforms stores the index byte-exact but not every child.
    public func putManifest(
        repository: RepositoryName, reference: Reference, bytes: [UInt8], contentType: String?,
        requireChildManifests: Bool = true, requireBlobs: Bool = true
    ) async throws(StoreError) -> ManifestPutResult {
        guard bytes.count <= options.maxManifestBytes else {
            throw StoreError(
                .tooLarge, "manifest of \(bytes.count) bytes exceeds the \(options.maxManifestBytes)-byte limit")
        }
        let parsed: ParsedManifest
        do {
            parsed = try ParsedManifest(bytes: bytes, contentType: contentType)
        } catch {
            throw StoreError(error)
        }
        let digest: Digest
        switch reference {
        case .digest(let given):
            digest = DigestHasher.digest(of: bytes, algorithm: given.algorithm)
            guard digest == given else {
                throw StoreError(.digestMismatch, "manifest has digest \(digest), not \(given)")
            }
        case .tag:
            digest = DigestHasher.digest(of: bytes)
        }

        try await checkReferencesPresent(
            parsed, repository: repository, children: requireChildManifests, blobs: requireBlobs)
        try await storeBlobBytes(bytes, digest: digest)

        let now = options.clock()
        let annotations = try parsed.annotations.map { annotations throws(StoreError) in
            do {
                return String(decoding: try JSONEncoder().encode(annotations), as: UTF8.self)
            } catch {
                throw StoreError(.io, "cannot encode annotations: \(error)")
            }
        }
        let size = Int64(bytes.count)
        try await write { db in
            // Checked again inside the transaction: garbage collection may have run since.
            try Self.requireReferences(
                db, parsed, repository: repository, children: requireChildManifests, blobs: requireBlobs)
            try Self.recordBlob(db, digest: digest, size: size, now: now)
            try Self.ensureRepository(db, repository, now: now)
            try db.execute(
                sql: """
                    INSERT INTO manifests(repository, digest, media_type, size, artifact_type, subject, annotations,
                        created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(repository, digest) DO UPDATE SET
                        media_type = excluded.media_type, artifact_type = excluded.artifact_type,
                        subject = excluded.subject, annotations = excluded.annotations
                    """,
                arguments: [
                    repository.value, digest.string, parsed.mediaType, size, parsed.artifactType,
                    parsed.subject?.digest.string, annotations, now,
                ])
            for descriptor in parsed.references {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO manifest_references(repository, manifest, digest) VALUES (?, ?, ?)",
                    arguments: [repository.value, digest.string, descriptor.digest.string])
            }
            // Blobs held are linked now; one a pulled-through manifest names and the store lacks
            // is linked when it arrives.
            for descriptor in parsed.requiredBlobs
            where try requireBlobs
                || Bool.fetchOne(db, sql: "SELECT 1 FROM blobs WHERE digest = ?", arguments: [descriptor.digest.string])
                    == true
            {
                try Self.link(db, descriptor.digest, into: repository)
            }
            try Self.link(db, digest, into: repository)
            if case .tag(let tag) = reference {
                try Self.setTag(db, repository: repository, tag: tag, digest: digest, now: now)
            }
        }
        return ManifestPutResult(digest: digest, subject: parsed.subject?.digest)
    }

    /// Reads a manifest by tag or digest.
    public func manifest(repository: RepositoryName, reference: Reference) async throws(StoreError) -> StoredManifest {
        let (digest, mediaType, _) = try await manifestInfo(repository: repository, reference: reference)
        let bytes: [UInt8]
        do {
            bytes = try openAnyBlob(digest).readAll()
        } catch {
            throw StoreError(.manifestUnknown, "manifest \(digest) is missing from disk")
        }
        return StoredManifest(digest: digest, mediaType: mediaType, bytes: bytes)
    }

    /// The digest, media type and size of a manifest, without reading it.
    public func manifestInfo(
        repository: RepositoryName, reference: Reference
    ) async throws(StoreError) -> (digest: Digest, mediaType: String, size: Int64) {
        let repo = repository.value
        let found: (String, String, Int64)? = try await read { db in
            let row: Row?
            switch reference {
            case .tag(let tag):
                row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT m.digest, m.media_type, m.size FROM tags t
                        JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest
                        WHERE t.repository = ? AND t.tag = ?
                        """,
                    arguments: [repo, tag.value])
            case .digest(let digest):
                row = try Row.fetchOne(
                    db, sql: "SELECT digest, media_type, size FROM manifests WHERE repository = ? AND digest = ?",
                    arguments: [repo, digest.string])
            }
            return row.map { ($0[0], $0[1], $0[2]) }
        }
        guard let found, let digest = try? Digest(found.0) else {
            throw StoreError(.manifestUnknown, "manifest \(reference) is unknown to repository \(repository)")
        }
        return (digest, found.1, found.2)
    }

    /// Deletes a manifest by digest, with every tag that points at it. Its blobs stay until
    /// garbage collection finds them unused.
    public func deleteManifest(repository: RepositoryName, digest: Digest) async throws(StoreError) {
        let removed = try await write { db in
            let args: StatementArguments = [repository.value, digest.string]
            try db.execute(sql: "DELETE FROM manifests WHERE repository = ? AND digest = ?", arguments: args)
            guard db.changesCount > 0 else { return false }
            try db.execute(
                sql: "DELETE FROM manifest_references WHERE repository = ? AND manifest = ?", arguments: args)
            try db.execute(sql: "DELETE FROM tags WHERE repository = ? AND digest = ?", arguments: args)
            try db.execute(sql: "DELETE FROM repository_blobs WHERE repository = ? AND digest = ?", arguments: args)
            return true
        }
        guard removed else {
            throw StoreError(.manifestUnknown, "manifest \(digest) is unknown to repository \(repository)")
        }
    }

    private func checkReferencesPresent(
        _ parsed: ParsedManifest, repository: RepositoryName, children: Bool, blobs: Bool
    ) async throws(StoreError) {
        try await read { db in
            try Self.requireReferences(db, parsed, repository: repository, children: children, blobs: blobs)
        }
    }

    /// Throws `manifestBlobUnknown` naming the first required blob or child manifest not present.
    /// A pulled-through manifest requires neither: its blobs and children come on demand.
    static func requireReferences(
        _ db: Database, _ parsed: ParsedManifest, repository: RepositoryName, children: Bool, blobs: Bool
    ) throws {
        for blob in parsed.requiredBlobs where blobs {
            let present =
                try Bool.fetchOne(db, sql: "SELECT 1 FROM blobs WHERE digest = ?", arguments: [blob.digest.string])
                ?? false
            guard present else {
                throw StoreError(
                    .manifestBlobUnknown, "blob \(blob.digest) named by the manifest is not in the registry")
            }
        }
        for child in parsed.manifests where children {
            let present =
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM manifests WHERE repository = ? AND digest = ?",
                    arguments: [repository.value, child.digest.string]) ?? false
            guard present else {
                throw StoreError(
                    .manifestBlobUnknown,
                    "manifest \(child.digest) named by the index is not in repository \(repository)")
            }
        }
    }

    /// Whether a manifest held in `repository` lists `digest` (an index's child).
    public func isListed(_ digest: Digest, in repository: RepositoryName) async throws(StoreError) -> Bool {
        try await read { db in
            try Bool.fetchOne(
                db, sql: "SELECT 1 FROM manifest_references WHERE repository = ? AND digest = ? LIMIT 1",
                arguments: [repository.value, digest.string]) ?? false
        }
    }
}
