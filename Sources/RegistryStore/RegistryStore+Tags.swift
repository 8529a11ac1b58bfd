import Foundation
import GRDB
import OCI

extension RegistryStore {
    /// Up to `limit` tags of `repository` after `last`, in lexical order; nil for an unknown repository.
    public func tags(repository: RepositoryName, after last: String?, limit: Int) async throws(StoreError) -> [String]?
    {
        try await read { db in
            guard
                try Bool.fetchOne(db, sql: "SELECT 1 FROM repositories WHERE name = ?", arguments: [repository.value])
                    ?? false
            else {
                return nil
            }
            return try String.fetchAll(
                db, sql: "SELECT tag FROM tags WHERE repository = ? AND tag > ? ORDER BY tag LIMIT ?",
                arguments: [repository.value, last ?? "", limit])
        }
    }

    /// Removes a tag; the manifest it pointed at stays.
    public func deleteTag(repository: RepositoryName, tag: Tag) async throws(StoreError) {
        let removed = try await write { db in
            try db.execute(
                sql: "DELETE FROM tags WHERE repository = ? AND tag = ?", arguments: [repository.value, tag.value])
            return db.changesCount > 0
        }
        guard removed else {
            throw StoreError(.manifestUnknown, "tag \(tag) is unknown to repository \(repository)")
        }
    }

    static func setTag(_ db: Database, repository: RepositoryName, tag: Tag, digest: Digest, now: Double) throws {
        try db.execute(
            sql: """
                INSERT INTO tags(repository, tag, digest, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at
                """,
            arguments: [repository.value, tag.value, digest.string, now])
    }

    /// The manifests in `repository` whose subject is `subject`, optionally only those of one
    /// artifact type, as descriptors for a referrers index.
    public func referrers(
        repository: RepositoryName, subject: Digest, artifactType: String?
    ) async throws(StoreError) -> [Descriptor] {
        let rows = try await read { db in
            var sql =
                """
                SELECT digest, media_type, size, artifact_type, annotations FROM manifests WHERE repository = ?
                    AND subject = ?
                """
            var arguments: StatementArguments = [repository.value, subject.string]
            if let artifactType {
                sql += " AND artifact_type = ?"
                arguments += [artifactType]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY digest", arguments: arguments).compactMap {
                row -> Descriptor? in
                guard let digest = try? Digest(row[0] as String) else { return nil }
                let annotations = (row[4] as String?).flatMap {
                    try? JSONDecoder().decode([String: String].self, from: Data($0.utf8))
                }
                return Descriptor(
                    mediaType: row[1], digest: digest, size: row[2], annotations: annotations, artifactType: row[3])
            }
        }
        return rows
    }
}
