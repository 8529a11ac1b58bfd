import GRDB
import Logging
import OCI

/// What one garbage collection pass did.
public struct GarbageCollectionReport: Sendable, Equatable {
    public var blobsDeleted = 0
    public var bytesFreed: Int64 = 0
    public var orphanFilesDeleted = 0
}

extension RegistryStore {
    /// Deletes blobs that no manifest needs and that are older than the grace period, and blob
    /// files no row records (left by a crash between rename and commit). Safe while serving.
    ///
    /// Rows go first, files after the commit: a crash in between leaves files without rows, which
    /// the next pass removes, never a row without its file (a `HEAD` would answer 200 for it).
    public func collectGarbage() async throws(StoreError) -> GarbageCollectionReport {
        var report = GarbageCollectionReport()
        let cutoff = options.clock() - options.garbageGracePeriod
        while true {
            // Batches keep each write transaction short, so pushes are not held up.
            let batch: [(Digest, Int64)] = try await write { db in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT digest, size FROM blobs b
                        WHERE created_at < ?
                          AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = b.digest)
                          AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.digest = b.digest)
                        LIMIT 256
                        """,
                    arguments: [cutoff])
                var deleted: [(Digest, Int64)] = []
                for row in rows {
                    let raw: String = row["digest"]
                    try db.execute(sql: "DELETE FROM blobs WHERE digest = ?", arguments: [raw])
                    try db.execute(sql: "DELETE FROM repository_blobs WHERE digest = ?", arguments: [raw])
                    if let digest = try? Digest(raw) { deleted.append((digest, row["size"])) }
                }
                return deleted
            }
            _ = try await removeFilesWithoutRows(batch.map(\.0))
            report.blobsDeleted += batch.count
            report.bytesFreed += batch.reduce(0) { $0 + $1.1 }
            if batch.count < 256 { break }
        }
        report.orphanFilesDeleted = try await deleteOrphanFiles(olderThan: cutoff)
        if report.blobsDeleted > 0 || report.orphanFilesDeleted > 0 {
            logger.info(
                "garbage collected",
                metadata: [
                    "blobs": "\(report.blobsDeleted)", "bytes": "\(report.bytesFreed)",
                    "orphans": "\(report.orphanFilesDeleted)",
                ])
        }
        return report
    }

    /// Deletes at once, grace period or not, those of `digests` that no manifest needs and no
    /// repository links: what a refused import brought in. Returns how many went.
    public func discardUnneeded(_ digests: [Digest]) async throws(StoreError) -> Int {
        var deleted: [Digest] = []
        for batch in stride(from: 0, to: digests.count, by: 256).map({
            Array(digests[$0..<min($0 + 256, digests.count)])
        }) {
            deleted += try await write { db in
                var gone: [Digest] = []
                for digest in batch {
                    let needed =
                        try Bool.fetchOne(
                            db,
                            sql: """
                                SELECT 1 FROM manifests m WHERE m.digest = ?1
                                UNION ALL SELECT 1 FROM manifest_references r WHERE r.digest = ?1
                                UNION ALL SELECT 1 FROM repository_blobs l WHERE l.digest = ?1 LIMIT 1
                                """,
                            arguments: [digest.string]) ?? false
                    guard !needed else { continue }
                    try db.execute(sql: "DELETE FROM blobs WHERE digest = ?", arguments: [digest.string])
                    gone.append(digest)
                }
                return gone
            }
        }
        _ = try await removeFilesWithoutRows(deleted)
        return deleted.count
    }

    /// Unlinks the files of `digests` that no row records. Inside a write transaction, because a
    /// blob commit renames its file and records its row in one: a digest committed again since its
    /// row was deleted keeps its file.
    func removeFilesWithoutRows(_ digests: [Digest]) async throws(StoreError) -> Int {
        guard !digests.isEmpty else { return 0 }
        let layout = self.layout
        return try await write { db in
            var count = 0
            for digest in digests {
                let known =
                    try Bool.fetchOne(db, sql: "SELECT 1 FROM blobs WHERE digest = ?", arguments: [digest.string])
                    ?? false
                if !known, FileSystem.exists(layout.blobPath(digest)) {
                    FileSystem.remove(layout.blobPath(digest))
                    count += 1
                }
            }
            return count
        }
    }

    private func deleteOrphanFiles(olderThan cutoff: Double) async throws(StoreError) -> Int {
        var deleted = 0
        for algorithm in Digest.Algorithm.allCases {
            let algorithmDirectory = layout.algorithmDirectory(algorithm)
            for prefix in FileSystem.list(algorithmDirectory) {
                let directory = algorithmDirectory + "/" + prefix
                let candidates = FileSystem.list(directory).compactMap { name -> Digest? in
                    guard let digest = try? Digest("\(algorithm.rawValue):\(name)"),
                        let status = FileSystem.status(directory + "/" + name), status.modified < cutoff
                    else { return nil }
                    return digest
                }
                deleted += try await removeFilesWithoutRows(candidates)
            }
        }
        return deleted
    }
}
