import Crypto
import Foundation
import OCI

/// What `configure` changed under a root, so that `restore` can put it back byte for byte: for
/// each file the satellite manages, its bytes before the first change (or that it did not
/// exist), the directories made for it, and the runtimes that manage it (CRI-O and podman share
/// one drop-in). Kept in `var/lib/harbor-satellite/runtime-backup` under the root.
struct BackupManifest: Codable, Equatable {
    struct Entry: Codable, Equatable {
        /// The file's bytes before the satellite first wrote it are in `originals/<name>`; nil when
        /// it did not exist.
        var original: String?
        /// Its permission bits before, to write it back with.
        var mode: UInt16?
        /// It was a symlink naming this (as written): the satellite replaced the link with a file
        /// and never wrote through it, so `restore` makes the link again.
        var symlink: String?
        /// Directories made to hold it, outermost first.
        var createdDirectories: [String]
        var runtimes: [String]
    }

    static let directory = "var/lib/harbor-satellite/runtime-backup"

    var version = 1
    var files: [String: Entry] = [:]
    /// Directories made to hold the backup itself, and those made for files since put back
    /// that were not empty yet; each is removed once it is empty.
    var createdDirectories: [String] = []

    /// The name of a file's original copy: a hash of its path, so no path is built from it.
    static func originalName(for path: String) -> String {
        SHA256.hash(data: Data(path.utf8)).lowercaseHex
    }

    func encoded() throws(RuntimeConfigError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { return try encoder.encode(self) } catch {
            throw RuntimeConfigError(.io, "cannot encode the backup manifest: \(error)")
        }
    }

    static func decode(_ data: Data, path: String) throws(RuntimeConfigError) -> BackupManifest {
        do { return try JSONDecoder().decode(BackupManifest.self, from: data) } catch {
            throw RuntimeConfigError(
                .unparsable,
                """
                \(path): the backup manifest is damaged (\(error)); nothing was changed. Its originals are in \
                \(path.dropLast("manifest.json".count))originals
                """
            )
        }
    }
}
