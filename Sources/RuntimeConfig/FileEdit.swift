import Foundation

/// One file of a runtime's configuration: the bytes it should hold, given the bytes it holds
/// now (nil when it does not exist). An edit that has nothing to change returns the bytes it got,
/// so a file that does not exist and needs nothing stays absent rather than appearing empty.
struct FileEdit: Sendable {
    /// Relative to the root: `etc/containerd/config.toml`.
    let path: String
    let edit: @Sendable (Data?) throws(RuntimeConfigError) -> Data?

    /// A file the satellite writes whole, whatever was there.
    static func owned(_ path: String, _ content: String) -> FileEdit {
        FileEdit(path: path) { _ in Data(content.utf8) }
    }
}

/// TOML basic strings: URLs and paths quoted with `"` and `\` escaped.
func tomlString(_ value: String) -> String {
    "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// The first lines of every file the satellite writes whole.
func ownedFileHeader(_ comment: String, what: String) -> String {
    """
    \(comment) Written by `satellite runtime configure`: \(what)
    \(comment) `satellite runtime restore` puts back what was here before. Edits here are overwritten.

    """
}
