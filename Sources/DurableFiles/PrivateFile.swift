import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file holding a private key: made owner-only and never replaced, and read only while no one
/// else may read it, as ssh treats a private key. The one place this rule is written.
public enum PrivateFile {
    /// Why a private file cannot be read.
    public enum ReadError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Group or others may read it (its mode, octal).
        case readableByOthers(String)
        case unreadable(String)

        public var description: String {
            switch self {
            case .readableByOthers(let mode): "may be read by others (mode \(mode)); chmod 600 it"
            case .unreadable(let reason): "cannot be read: \(reason)"
            }
        }
    }

    /// The file's bytes (at most `limit`), or nil when there is none.
    public static func read(_ path: String, limit: Int = 64 * 1024) throws(ReadError) -> Data? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw .unreadable(String(cString: strerror(errno)))
        }
        guard info.st_mode & 0o077 == 0 else { throw .readableByOthers(String(info.st_mode & 0o777, radix: 8)) }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable("cannot open it") }
        defer { try? handle.close() }
        do {
            return try handle.read(upToCount: limit) ?? Data()
        } catch {
            throw .unreadable("\(error)")
        }
    }

    /// Creates `path` owner-only with `bytes` unless a file is there; returns whether it did.
    public static func create(_ bytes: Data, at path: String) throws(DurableFileError) -> Bool {
        try DurableFile.create(bytes, at: path, mode: .exactly(0o600))
    }
}
