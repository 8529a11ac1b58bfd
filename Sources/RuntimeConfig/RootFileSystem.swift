import DurableFiles
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files under a root directory, by relative paths the satellite chose: reads that tell absence
/// from failure, writes that are atomic (temp file, fsync, rename, directory fsync).
///
/// Nothing is read or written outside the root through a symlink. A directory on the way that is
/// a symlink is followed only when it leads to a place under the root (a node's `/etc/containerd`
/// may well point into `/opt`); one that leads out is refused with a message. A managed file that
/// is itself a symlink is read through (when its target is under the root) but never written
/// through: a write replaces the link, and `symlinkTarget` lets the backup put the link back.
struct RootFileSystem {
    let root: String

    func absolutePath(_ path: String) -> String { absolute(path, root: root) }

    /// The file's bytes, or nil when it does not exist (a dangling link included).
    func read(_ path: String) throws(RuntimeConfigError) -> Data? {
        guard let full = try resolve(path, followingLast: true), FileManager.default.fileExists(atPath: full) else {
            return nil
        }
        do { return try Data(contentsOf: URL(fileURLWithPath: full)) } catch {
            throw RuntimeConfigError(.io, "cannot read \(absolutePath(path)): \(error.localizedDescription)")
        }
    }

    func mode(_ path: String) throws(RuntimeConfigError) -> UInt16? {
        var info = stat()
        guard let full = try resolve(path, followingLast: true), stat(full, &info) == 0 else { return nil }
        return UInt16(info.st_mode & 0o7777)
    }

    /// Whether something is at `path`: a file, a directory, or a link (even a dangling one).
    func exists(_ path: String) throws(RuntimeConfigError) -> Bool {
        var info = stat()
        return lstat(try hostPath(path), &info) == 0
    }

    /// What the link at `path` names, as it was written; nil when `path` is not a symlink.
    func symlinkTarget(_ path: String) throws(RuntimeConfigError) -> String? {
        let full = try hostPath(path)
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(full, &buffer, Int(PATH_MAX))
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The directories `path`'s parent needs that do not exist yet, outermost first.
    func missingDirectories(for path: String) throws(RuntimeConfigError) -> [String] {
        var missing: [String] = []
        var directory = (path as NSString).deletingLastPathComponent
        while !directory.isEmpty, directory != "/", try !exists(directory) {
            missing.insert(directory, at: 0)
            directory = (directory as NSString).deletingLastPathComponent
        }
        return missing
    }

    /// Replaces `path` with `data` so that a reader sees the old bytes or the new, never a part.
    /// A symlink at `path` is replaced, not written through.
    func write(_ path: String, _ data: Data, mode: UInt16) throws(RuntimeConfigError) {
        let full = try hostPath(path)
        let parent = try makeParent(of: full, for: path)
        let temporary = parent + "/." + (full as NSString).lastPathComponent + ".satellite-new"
        do {
            // Exactly `mode`: the runtimes read these files, whatever the satellite's umask.
            try DurableFile.write(data, to: full, mode: .exactly(mode_t(mode)), temporary: temporary)
        } catch {
            throw RuntimeConfigError(.io, "cannot write \(absolutePath(path)): \(error)")
        }
    }

    /// Makes `path` a symlink naming `target` again, in one rename (restoring a link the
    /// satellite replaced).
    func writeSymlink(_ path: String, target: String) throws(RuntimeConfigError) {
        let full = try hostPath(path)
        let parent = try makeParent(of: full, for: path)
        let temporary = parent + "/." + (full as NSString).lastPathComponent + ".satellite-link"
        unlink(temporary)
        guard symlink(target, temporary) == 0 else {
            throw RuntimeConfigError(
                .io, "cannot make the link \(absolutePath(path)): \(String(cString: strerror(errno)))")
        }
        do {
            try DurableFile.renameDurably(temporary, to: full)
        } catch {
            unlink(temporary)
            throw RuntimeConfigError(.io, "cannot put back the link \(absolutePath(path)): \(error)")
        }
    }

    func remove(_ path: String) throws(RuntimeConfigError) {
        let full = try hostPath(path)
        // ENOTDIR: a file where a parent directory should be, so there is nothing to remove.
        guard unlink(full) == 0 || errno == ENOENT || errno == ENOTDIR else {
            throw RuntimeConfigError(.io, "cannot remove \(absolutePath(path)): \(String(cString: strerror(errno)))")
        }
        // A removal that does not survive a crash only leaves a file to remove again.
        try? DurableFile.syncDirectory((full as NSString).deletingLastPathComponent)
    }

    /// Removes the directories that are empty, deepest first; others stay.
    func removeEmptyDirectories(_ directories: [String]) {
        for directory in Set(directories).sorted(by: { $0.count > $1.count }) {
            // A directory that resolves out of the root was never made by us: left alone.
            guard let full = try? hostPath(directory) else { continue }
            rmdir(full)
        }
    }

    /// Where `path` is on this host, every symlink on the way resolved and kept under the root;
    /// with `followingLast`, the last component too (nil when it is a dangling link).
    private func resolve(_ path: String, followingLast: Bool) throws(RuntimeConfigError) -> String? {
        let components = path.split(separator: "/").map(String.init)
        guard !components.contains(".."), !components.contains(".") else {
            throw RuntimeConfigError(
                .invalidInput, "\(absolutePath(path)): a path under the root may not hold '.' or '..'")
        }
        let base = try realRoot()
        var current = base
        for (index, component) in components.enumerated() {
            let candidate = Self.join(current, component)
            let last = index == components.count - 1
            var info = stat()
            guard lstat(candidate, &info) == 0 else {
                // Nothing there yet: the rest is made as plain directories, under `current`.
                return components[index...].reduce(current, Self.join)
            }
            guard info.st_mode & S_IFMT == S_IFLNK, !last || followingLast else {
                current = candidate
                continue
            }
            guard let resolved = realpath(candidate, nil) else {
                // A dangling link: nothing to read, and no directory to write into.
                if last { return nil }
                throw RuntimeConfigError(
                    .io,
                    """
                    \(absolute(components[...index].joined(separator: "/"), root: root)) is a symlink to nothing; \
                    nothing was changed
                    """
                )
            }
            let target = String(cString: resolved)
            free(resolved)
            guard target == base || target.hasPrefix(base == "/" ? "/" : base + "/") else {
                throw RuntimeConfigError(
                    .unsupported,
                    "\(absolute(components[...index].joined(separator: "/"), root: root)) is a symlink to \(target), "
                        + "outside \(root); "
                            + """
                            the satellite writes nothing outside its root, so nothing was changed (make it a directory \
                            or a file under the root)
                            """
                )
            }
            current = target
        }
        return current
    }

    /// Where `path` itself is on this host (a link at its end not followed).
    private func hostPath(_ path: String) throws(RuntimeConfigError) -> String {
        // Not following the last component always yields a path.
        try resolve(path, followingLast: false) ?? absolutePath(path)
    }

    private static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private func realRoot() throws(RuntimeConfigError) -> String {
        guard let resolved = realpath(root, nil) else {
            throw RuntimeConfigError(.invalidInput, "--root \(root): \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Makes the directories `full` needs (they were resolved under the root), each 0755 whatever
    /// the process's umask (runtimes run as other users read them), returning its parent.
    private func makeParent(of full: String, for path: String) throws(RuntimeConfigError) -> String {
        let parent = (full as NSString).deletingLastPathComponent
        var missing: [String] = []
        var directory = parent
        var info = stat()
        while directory != "/", !directory.isEmpty, lstat(directory, &info) != 0 {
            missing.insert(directory, at: 0)
            directory = (directory as NSString).deletingLastPathComponent
        }
        for directory in missing {
            guard mkdir(directory, 0o755) == 0 || errno == EEXIST, chmod(directory, 0o755) == 0 else {
                throw RuntimeConfigError(
                    .io, "cannot make the directory of \(absolutePath(path)): \(String(cString: strerror(errno)))")
            }
        }
        return parent
    }
}
