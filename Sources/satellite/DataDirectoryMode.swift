import Foundation
import ProgramSupport

#if canImport(Glibc)
import Glibc
#endif

/// The permissions of a satellite's data directory and all it writes there: the owner's only
/// (0700, files 0600) unless the operator asks otherwise with `--data-mode`. The registry's
/// database, its status and saved state, and every blob are the site's images and secrets.
enum DataDirectoryMode {
    static let flagHelp =
        """
        Permission bits of the data directory, octal (default 0700); what is written in it gets these less execute \
        (0600).
        """

    /// Parses `raw` (such as `0750`), refusing bits beyond the owner's, group's and others'.
    static func parse(_ raw: String?) throws -> mode_t {
        guard let raw else { return 0o700 }
        guard let mode = UInt32(raw, radix: 8), mode <= 0o777, mode & 0o700 == 0o700 else {
            throw SettingsError(
                """
                data-mode must be octal permission bits that leave the owner rwx, such as 0700 or 0750, not \
                '\(raw.prefix(20))'
                """
            )
        }
        return mode_t(mode)
    }

    /// Makes what this process creates from now on follow `mode`, and tightens (or opens) the
    /// data directory itself to it, creating it if needed. A directory this process does not own
    /// (a volume mounted for it, say) keeps its mode, with a warning: what is written in it still
    /// follows `mode`.
    static func apply(_ mode: mode_t, to directory: String, warn: (String) -> Void) throws {
        umask(~mode & 0o777)
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        guard chmod(directory, mode) != 0 else { return }
        let code = errno
        var info = stat()
        guard code == EPERM, stat(directory, &info) == 0 else {
            throw SettingsError(
                "data-dir: cannot set the permissions of \(directory): \(String(cString: strerror(code)))")
        }
        warn(
            """
            data-dir: \(directory) is not this user's, so its mode stays \
            \(String(info.st_mode & 0o7777, radix: 8)) (data-mode asks \(String(mode, radix: 8))); what the \
            satellite writes in it follows data-mode
            """
        )
    }
}
