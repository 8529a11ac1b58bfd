import GRDB
import Logging
import OCI

/// What one eviction pass did.
public struct EvictionReport: Sendable, Equatable {
    /// Bytes that only cached manifests need, before the pass.
    public var cachedBytes: Int64 = 0
    public var manifestsEvicted = 0
    public var blobsDeleted = 0
    public var bytesFreed: Int64 = 0
}

extension RegistryStore {
    /// Records when manifests were last pulled, for `evict`: one transaction for a batch.
    public func recordPulls(_ pulls: [ManifestReference: Double]) async throws(StoreError) {
        guard !pulls.isEmpty else { return }
        try await write { db in
            for (manifest, at) in pulls {
                try db.execute(
                    sql: """
                        INSERT INTO manifest_pulls(repository, digest, pulled_at) VALUES (?, ?, ?)
                        ON CONFLICT(repository, digest) DO UPDATE SET pulled_at = max(pulled_at, excluded.pulled_at)
                        """,
                    arguments: [manifest.repository, manifest.digest, at])
            }
        }
    }

    /// Removes the least recently pulled manifests of the repositories `isCached` names (with
    /// their tags) until the blobs that only cached manifests need fit in `budget` bytes, and
    /// deletes those blobs at once, without garbage collection's grace period.
    ///
    /// - Content any other repository needs is never counted nor removed: what a desired state
    ///   names, or what was pushed, stays.
    /// - A manifest pulled within `spareSince` (a clock reading) stays even over the budget: a
    ///   client pulling it now goes on to its blobs. So does every manifest of a repository
    ///   `activeRepositories` says was read since then (a large image's blobs take long after
    ///   its manifest).
    /// - A response already sending a blob keeps its open file, so a deletion never cuts it.
    public func evict(
        toFit budget: Int64, isCached: @escaping @Sendable (String) -> Bool, spareSince: Double,
        activeRepositories: [String: Double] = [:]
    ) async throws(StoreError) -> EvictionReport {
        var report = EvictionReport()
        let plan: (victims: [ManifestReference], blobs: [Digest], cachedBytes: Int64) = try await read { db in
            var cachedManifests: [(reference: ManifestReference, lastPulled: Double)] = []
            var kept = Set<String>()
            let pulled = try Dictionary(
                Row.fetchAll(db, sql: "SELECT repository, digest, pulled_at FROM manifest_pulls").map {
                    (ManifestReference(repository: $0["repository"], digest: $0["digest"]), $0["pulled_at"] as Double)
                },
                uniquingKeysWith: max)
            var needs: [ManifestReference: [String]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT repository, manifest, digest FROM manifest_references") {
                needs[ManifestReference(repository: row["repository"], digest: row["manifest"]), default: []].append(
                    row["digest"])
            }
            for row in try Row.fetchAll(db, sql: "SELECT repository, digest, created_at FROM manifests") {
                let reference = ManifestReference(repository: row["repository"], digest: row["digest"])
                if isCached(reference.repository) {
                    let lastPulled = max(
                        pulled[reference] ?? row["created_at"], activeRepositories[reference.repository] ?? 0)
                    cachedManifests.append((reference, lastPulled))
                } else {
                    kept.insert(reference.digest)
                    kept.formUnion(needs[reference] ?? [])
                }
            }
            let sizes = try Dictionary(
                Row.fetchAll(db, sql: "SELECT digest, size FROM blobs").map {
                    ($0["digest"] as String, $0["size"] as Int64)
                },
                uniquingKeysWith: { first, _ in first })
            // How many cached manifests need each blob no kept manifest needs.
            var users: [String: Int] = [:]
            for (reference, _) in cachedManifests {
                for digest in Set([reference.digest] + (needs[reference] ?? [])) where !kept.contains(digest) {
                    users[digest, default: 0] += 1
                }
            }
            let cachedBytes = users.keys.reduce(0) { $0 + (sizes[$1] ?? 0) }
            var remaining = cachedBytes
            var victims: [ManifestReference] = []
            var freed: [Digest] = []
            for (reference, lastPulled) in cachedManifests.sorted(by: { $0.lastPulled < $1.lastPulled }) {
                guard remaining > budget, lastPulled < spareSince else { break }
                victims.append(reference)
                for digest in Set([reference.digest] + (needs[reference] ?? [])) where !kept.contains(digest) {
                    users[digest, default: 1] -= 1
                    if users[digest] == 0 {
                        remaining -= sizes[digest] ?? 0
                        if let parsed = try? Digest(digest) { freed.append(parsed) }
                    }
                }
            }
            return (victims, freed, cachedBytes)
        }
        report.cachedBytes = plan.cachedBytes
        guard !plan.victims.isEmpty else { return report }
        let deleted: [(Digest, Int64)] = try await write { db in
            for victim in plan.victims {
                let args: StatementArguments = [victim.repository, victim.digest]
                try db.execute(sql: "DELETE FROM tags WHERE repository = ? AND digest = ?", arguments: args)
                try db.execute(sql: "DELETE FROM manifests WHERE repository = ? AND digest = ?", arguments: args)
                try db.execute(
                    sql: "DELETE FROM manifest_references WHERE repository = ? AND manifest = ?", arguments: args)
                try db.execute(sql: "DELETE FROM manifest_pulls WHERE repository = ? AND digest = ?", arguments: args)
            }
            // Checked again inside the write: a manifest stored since the plan may need a blob.
            var deleted: [(Digest, Int64)] = []
            for digest in plan.blobs {
                guard
                    let size = try Int64.fetchOne(
                        db,
                        sql: """
                            SELECT size FROM blobs b WHERE digest = ?
                              AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = b.digest)
                              AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.digest = b.digest)
                            """,
                        arguments: [digest.string])
                else { continue }
                try db.execute(sql: "DELETE FROM blobs WHERE digest = ?", arguments: [digest.string])
                try db.execute(sql: "DELETE FROM repository_blobs WHERE digest = ?", arguments: [digest.string])
                deleted.append((digest, size))
            }
            try db.execute(
                sql: """
                    DELETE FROM manifest_pulls
                    WHERE NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repository = manifest_pulls.repository AND
                        m.digest = manifest_pulls.digest)
                    """)
            try db.execute(
                sql:
                    """
                    DELETE FROM repositories WHERE name NOT IN (SELECT repository FROM manifests) AND name NOT IN
                        (SELECT repository FROM uploads)
                    """
            )
            return deleted
        }
        _ = try await removeFilesWithoutRows(deleted.map(\.0))
        report.manifestsEvicted = plan.victims.count
        report.blobsDeleted = deleted.count
        report.bytesFreed = deleted.reduce(0) { $0 + $1.1 }
        logger.info(
            "evicted pulled-through content over the cache budget",
            metadata: [
                "manifests": "\(report.manifestsEvicted)", "blobs": "\(report.blobsDeleted)",
                "bytes": "\(report.bytesFreed)",
                "cachedBefore": "\(report.cachedBytes)", "budget": "\(budget)",
            ])
        return report
    }
}
