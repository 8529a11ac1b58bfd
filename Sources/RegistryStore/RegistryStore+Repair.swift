import GRDB
import Logging
import OCI

extension RegistryStore {
    /// Drops rows whose blob file is missing, so the store never answers `HEAD` with 200 for
    /// content it cannot serve: a client then uploads it again, and replication fetches it again.
    /// A manifest whose own bytes are gone goes with its tags. Stores written by versions that
    /// unlinked files before committing could be left like this by a crash; run on every open.
    func repairRowsWithoutFiles() throws(StoreError) {
        let layout = self.layout
        let repaired: (blobs: Int, manifests: Int)
        do {
            repaired = try database.write { db in
                var missing: [String] = []
                let cursor = try String.fetchCursor(db, sql: "SELECT digest FROM blobs")
                while let raw = try cursor.next() {
                    guard let digest = try? Digest(raw) else { missing.append(raw); continue }
                    if !FileSystem.exists(layout.blobPath(digest)) { missing.append(raw) }
                }
                var manifests = 0
                for raw in missing {
                    try db.execute(sql: "DELETE FROM blobs WHERE digest = ?", arguments: [raw])
                    try db.execute(sql: "DELETE FROM repository_blobs WHERE digest = ?", arguments: [raw])
                    try db.execute(sql: "DELETE FROM tags WHERE digest = ?", arguments: [raw])
                    try db.execute(sql: "DELETE FROM manifest_references WHERE manifest = ?", arguments: [raw])
                    try db.execute(sql: "DELETE FROM manifests WHERE digest = ?", arguments: [raw])
                    manifests += db.changesCount
                }
                return (missing.count, manifests)
            }
        } catch {
            throw StoreError(.io, "cannot check the store's blob files: \(error)")
        }
        if repaired.blobs > 0 {
            logger.warning(
                "repaired the store: dropped records of blobs whose files are missing",
                metadata: ["blobs": "\(repaired.blobs)", "manifests": "\(repaired.manifests)"])
        }
    }
}
