import GRDB
import OCI

/// What a read-only check of a store's data directory found wrong: the promises of DESIGN.md §5.1
/// that a crash must never break. Empty when the store is sound.
public struct StoreInspection: Sendable, Equatable {
    /// Blob rows whose file is missing.
    public var rowsWithoutFiles: [String] = []
    /// Blob files whose bytes do not hash to their name.
    public var corruptFiles: [String] = []
    /// "repository:tag → digest" whose manifest, or something the manifest names, is not held.
    public var incompleteTags: [String] = []
    /// Blobs checked by hash.
    public var filesHashed = 0

    public var problems: [String] {
        rowsWithoutFiles.map { "row without file: \($0)" } + corruptFiles.map { "corrupt file: \($0)" }
            + incompleteTags.map { "incomplete tag: \($0)" }
    }

    /// Opens the database read-only; after a process was killed mid-write its write-ahead log
    /// must be recovered first, which a read-only connection may not do (SQLITE_READONLY), so
    /// then it opens read-write as the next start would. Recovery changes no content.
    private static func openForInspection(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let database = try DatabaseQueue(path: path, configuration: configuration)
            _ = try database.read { db in try db.tableExists("blobs") }
            return database
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {
            return try DatabaseQueue(path: path)
        }
    }

    /// Reads the store under `directory` without changing its content (it must not be open
    /// elsewhere for writing), hashing every blob file.
    public static func inspect(directory: String) throws -> StoreInspection {
        let layout = StoreLayout(root: directory)
        let database = try openForInspection(layout.databasePath)
        defer { try? database.close() }
        var inspection = StoreInspection()
        var held = Set<String>()
        try database.read { db in
            // A process killed before its first migration committed leaves a database without
            // tables: an empty store, which the next open migrates.
            guard try db.tableExists("blobs") else { return }
            let digests = try String.fetchAll(db, sql: "SELECT digest FROM blobs")
            for raw in digests {
                if let digest = try? Digest(raw), FileSystem.exists(layout.blobPath(digest)) {
                    held.insert(raw)
                } else {
                    inspection.rowsWithoutFiles.append(raw)
                }
            }
            let tags = try Row.fetchAll(db, sql: "SELECT repository, tag, digest FROM tags")
            for tag in tags {
                let digest: String = tag["digest"]
                let references = try String.fetchAll(
                    db, sql: "SELECT digest FROM manifest_references WHERE repository = ? AND manifest = ?",
                    arguments: [tag["repository"], digest])
                if !held.contains(digest) || references.contains(where: { !held.contains($0) }) {
                    inspection.incompleteTags.append(
                        "\(tag["repository"] as String):\(tag["tag"] as String) → \(digest)")
                }
            }
        }
        for algorithm in Digest.Algorithm.allCases {
            for prefix in FileSystem.list(layout.algorithmDirectory(algorithm)) {
                let folder = layout.algorithmDirectory(algorithm) + "/" + prefix
                for name in FileSystem.list(folder) {
                    inspection.filesHashed += 1
                    guard let digest = try? Digest("\(algorithm.rawValue):\(name)"),
                        try RegistryStore.hashFile(PosixFile.openForReading(folder + "/" + name), algorithm: algorithm)
                            .finalize() == digest
                    else {
                        inspection.corruptFiles.append(folder + "/" + name)
                        continue
                    }
                }
            }
        }
        return inspection
    }
}
