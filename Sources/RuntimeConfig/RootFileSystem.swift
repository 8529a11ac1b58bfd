import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files under a root directory, by relative paths the satellite chose: reads that tell absence
/// from failure, writes that are atomic (temp file, fsync, rename, directory fsync).
struct RootFileSystem {
    let root: String

    func absolutePath(_ path: String) -> String { absolute(path, root: root) }

    /// The file's bytes, or nil when it does not exist.
    func read(_ path: String) throws(RuntimeConfigError) -> Data? {
        let full = absolutePath(path)
        guard FileManager.default.fileExists(atPath: full) else { return nil }
        do { return try Data(contentsOf: URL(fileURLWithPath: full)) } catch {
            throw RuntimeConfigError(.io, "cannot read \(full): \(error.localizedDescription)")
        }
    }

    func mode(_ path: String) -> UInt16? {
        var info = stat()
        guard stat(absolutePath(path), &info) == 0 else { return nil }
        return UInt16(info.st_mode & 0o7777)
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: absolutePath(path)) }

    /// The directories `path`'s parent needs that do not exist yet, outermost first.
    func missingDirectories(for path: String) -> [String] {
        var missing: [String] = []
        var directory = (path as NSString).deletingLastPathComponent
        while !directory.isEmpty, directory != "/", !exists(directory) {
            missing.insert(directory, at: 0)
            directory = (directory as NSString).deletingLastPathComponent
        }
        return missing
    }

    /// Replaces `path` with `data` so that a reader sees the old bytes or the new, never a part.
    func write(_ path: String, _ data: Data, mode: UInt16) throws(RuntimeConfigError) {
        let full = absolutePath(path)
        let parent = (full as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch {
            throw RuntimeConfigError(.io, "cannot make \(parent): \(error.localizedDescription)")
        }
        let temporary = parent + "/." + (full as NSString).lastPathComponent + ".satellite-new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw RuntimeConfigError(.io, "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var failure: Int32 = 0
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == 0, fchmod(fd, mode_t(mode)) != 0 || fsync(fd) != 0 { failure = errno }
        close(fd)
        guard failure == 0, rename(temporary, full) == 0 else {
            let reason = String(cString: strerror(failure != 0 ? failure : errno))
            unlink(temporary)
            throw RuntimeConfigError(.io, "cannot write \(full): \(reason)")
        }
        syncDirectory(parent)
    }

    func remove(_ path: String) throws(RuntimeConfigError) {
        let full = absolutePath(path)
        // ENOTDIR: a file where a parent directory should be, so there is nothing to remove.
        guard unlink(full) == 0 || errno == ENOENT || errno == ENOTDIR else {
            throw RuntimeConfigError(.io, "cannot remove \(full): \(String(cString: strerror(errno)))")
        }
        syncDirectory((full as NSString).deletingLastPathComponent)
    }

    /// Removes the directories that are empty, deepest first; others stay.
    func removeEmptyDirectories(_ directories: [String]) {
        for directory in Set(directories).sorted(by: { $0.count > $1.count }) {
            rmdir(absolutePath(directory))
        }
    }

    private func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
