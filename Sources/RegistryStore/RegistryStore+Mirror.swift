import GRDB
import OCI

/// What a mirror (the satellite's replication) needs beyond the distribution API.
extension RegistryStore {
    /// Whether `repository` holds the manifest `digest`.
    public func hasManifest(_ repository: RepositoryName, _ digest: Digest) async throws(StoreError) -> Bool {
        try await read { db in
            try Bool.fetchOne(
                db, sql: "SELECT 1 FROM manifests WHERE repository = ? AND digest = ?",
                arguments: [repository.value, digest.string]) ?? false
        }
    }

    /// Whether `repository` holds the manifest `digest` with its tree: every blob an image
    /// manifest in it names (config, layers) is held, through the children of an index that are
    /// held. A child an index lists but the store lacks (left out by a platform filter) is not
    /// required; a blob a pulled-through manifest names is, until it arrives.
    public func hasTree(_ repository: RepositoryName, _ digest: Digest) async throws(StoreError) -> Bool {
        try await read { db in
            guard
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM manifests WHERE repository = ? AND digest = ?",
                    arguments: [repository.value, digest.string]) ?? false
            else { return false }
            // The held manifests of the tree; then any reference of one of them that is neither
            // a held manifest of the repository nor a held blob.
            let missing = try Bool.fetchOne(
                db,
                sql: """
                    WITH RECURSIVE tree(digest) AS (
                        SELECT ?
                        UNION
                        SELECT r.digest FROM manifest_references r JOIN tree t ON r.manifest = t.digest
                        WHERE r.repository = ?
                            AND EXISTS (SELECT 1 FROM manifests m WHERE m.repository = ? AND m.digest = r.digest)
                    )
                    SELECT 1 FROM tree t
                    JOIN manifests m ON m.repository = ? AND m.digest = t.digest
                    JOIN manifest_references r ON r.repository = ? AND r.manifest = t.digest
                    WHERE m.media_type NOT IN (?, ?)
                        AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = r.digest)
                    LIMIT 1
                    """,
                arguments: [
                    digest.string, repository.value, repository.value, repository.value, repository.value,
                    MediaType.ociIndex, MediaType.dockerManifestList,
                ])
            return missing != true
        }
    }

    /// Points a tag at a manifest already held.
    public func setTag(_ repository: RepositoryName, _ tag: Tag, to digest: Digest) async throws(StoreError) {
        let now = options.clock()
        try await write { db in
            guard
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM manifests WHERE repository = ? AND digest = ?",
                    arguments: [repository.value, digest.string]) ?? false
            else {
                throw StoreError(.manifestUnknown, "manifest \(digest) is not in \(repository)")
            }
            try Self.setTag(db, repository: repository, tag: tag, digest: digest, now: now)
        }
    }

    /// Makes the store hold exactly the given tags and what their manifests reach: removes every
    /// other tag, then every manifest not reachable from a kept tag or an extra root, through
    /// index children and referrers. Blobs are left to garbage collection. One transaction.
    ///
    /// Returns the number of tags and manifests removed.
    ///
    /// `extra` is recorded as `generation`'s roots; `keepingPrevious`
    /// keeps the roots of the generation before it too (untagged), so a state that goes back to
    /// them applies at once. Older generations' roots are forgotten.
    public func retainOnly(
        tags keep: Set<TagReference>, roots extra: Set<ManifestReference>, generation: Int64,
        keepingPrevious: Bool = false, sparing spare: @escaping @Sendable (String) -> Bool = { _ in false }
    ) async throws(StoreError) -> (tags: Int, manifests: Int) {
        try await write { db in
            var extra = extra
            let previous = try Self.recordRoots(db, extra, generation: generation)
            if keepingPrevious { extra.formUnion(previous) }
            var removedTags = 0
            for row in try Row.fetchAll(db, sql: "SELECT repository, tag FROM tags") {
                let reference = TagReference(repository: row[0], tag: row[1])
                if !keep.contains(reference) && !spare(reference.repository) {
                    try db.execute(
                        sql: "DELETE FROM tags WHERE repository = ? AND tag = ?",
                        arguments: [reference.repository, reference.tag])
                    removedTags += 1
                }
            }
            // Reachability from the kept tags and extra roots.
            var reachable = Set<ManifestReference>()
            var frontier = extra.union(
                try Row.fetchAll(db, sql: "SELECT repository, digest FROM tags").map {
                    ManifestReference(repository: $0[0], digest: $0[1])
                })
            while let next = frontier.popFirst() {
                guard reachable.insert(next).inserted else { continue }
                let children = try String.fetchAll(
                    db,
                    sql: """
                        SELECT r.digest FROM manifest_references r
                        JOIN manifests m ON m.repository = r.repository AND m.digest = r.digest
                        WHERE r.repository = ? AND r.manifest = ?
                        """,
                    arguments: [next.repository, next.digest])
                let referrers = try String.fetchAll(
                    db, sql: "SELECT digest FROM manifests WHERE repository = ? AND subject = ?",
                    arguments: [next.repository, next.digest])
                for digest in children + referrers {
                    frontier.insert(ManifestReference(repository: next.repository, digest: digest))
                }
            }
            var removedManifests = 0
            for row in try Row.fetchAll(db, sql: "SELECT repository, digest FROM manifests") {
                let reference = ManifestReference(repository: row[0], digest: row[1])
                guard !reachable.contains(reference) && !spare(reference.repository) else { continue }
                let args: StatementArguments = [reference.repository, reference.digest]
                try db.execute(sql: "DELETE FROM manifests WHERE repository = ? AND digest = ?", arguments: args)
                try db.execute(
                    sql: "DELETE FROM manifest_references WHERE repository = ? AND manifest = ?", arguments: args)
                try db.execute(sql: "DELETE FROM repository_blobs WHERE repository = ? AND digest = ?", arguments: args)
                removedManifests += 1
            }
            // A repository left without manifests is gone from the catalog, and name resolution
            // no longer sees it. Its blobs stay until garbage collection finds them unused.
            try db.execute(
                sql: "DELETE FROM repository_blobs WHERE repository NOT IN (SELECT repository FROM manifests)")
            try db.execute(sql: "DELETE FROM repositories WHERE name NOT IN (SELECT repository FROM manifests)")
            return (removedTags, removedManifests)
        }
    }

    /// Records `roots` as `generation`'s and returns the roots of the generation before it,
    /// forgetting any other.
    private static func recordRoots(
        _ db: Database, _ roots: Set<ManifestReference>, generation: Int64
    ) throws -> [ManifestReference] {
        try db.execute(sql: "DELETE FROM state_roots WHERE generation = ?", arguments: [generation])
        for root in roots {
            try db.execute(
                sql: "INSERT INTO state_roots (generation, repository, digest) VALUES (?, ?, ?)",
                arguments: [generation, root.repository, root.digest])
        }
        let previous = try Int64.fetchOne(
            db, sql: "SELECT MAX(generation) FROM state_roots WHERE generation < ?", arguments: [generation])
        try db.execute(
            sql: "DELETE FROM state_roots WHERE generation <> ? AND generation <> ?",
            arguments: [generation, previous ?? generation])
        guard let previous else { return [] }
        return try Row.fetchAll(
            db, sql: "SELECT repository, digest FROM state_roots WHERE generation = ?", arguments: [previous]
        ).map { ManifestReference(repository: $0[0], digest: $0[1]) }
    }
}
