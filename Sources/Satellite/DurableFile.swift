import Foundation

/// The files the agent keeps for restarts, replaced whole so a crash leaves the old file or the
/// new one, never a mix. Those that hold secrets (the Ground Control credential, upstream
/// passwords in the desired state) are owner-only.
enum DurableFile {
    /// Writes `data` to a temp file, syncs it, renames it over `path` and syncs the directory.
    /// `secret` files are created 0600, others 0644.
    static func write(_ data: Data, to path: String, secret: Bool) throws {
        let temporary = path + ".tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, secret ? 0o600 : 0o644)
        guard descriptor >= 0 else { throw failure("create", temporary) }
        var written = 0
        let ok = data.withUnsafeBytes { bytes -> Bool in
            while written < bytes.count {
                let result = Foundation.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 { if errno == EINTR { continue }; return false }
                written += result
            }
            return fsync(descriptor) == 0
        }
        let error = failure("write", temporary)
        close(descriptor)
        guard ok else {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("rename into", path)
            unlink(temporary)
            throw error
        }
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Tightens files an older version left readable by others.
    static func restrict(_ paths: [String]) throws {
        for path in paths where FileManager.default.fileExists(atPath: path) {
            guard chmod(path, 0o600) == 0 else { throw failure("restrict to its owner (chmod 0600)", path) }
        }
    }

    private static func failure(_ action: String, _ path: String) -> CocoaError {
        let reason = String(cString: strerror(errno))
        return CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "cannot \(action) \(path): \(reason)"])
    }
}
