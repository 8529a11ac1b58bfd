import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files replaced whole, so that a crash leaves the old bytes or the new, never a part: written to
/// a temporary file beside the target, synced, renamed over it, and the directory synced so the
/// rename itself survives. The one place this mechanism is written; every module that keeps a file
/// across a crash uses it.
public enum DurableFile {
    /// How the new file's permission bits are set.
    public enum Mode: Sendable, Equatable {
        /// These bits less the process's umask, as `open(2)` creates files (the satellite's data
        /// directory follows `--data-mode` through its umask).
        case created(mode_t)
        /// Exactly these bits whatever the umask (files other programs read, such as a runtime's
        /// configuration).
        case exactly(mode_t)
    }

    /// Replaces `path` with `bytes`. `temporary` names the file written first (beside `path`,
    /// `<path>.tmp` by default); a file left there by a crash is replaced.
    public static func write(
        _ bytes: Data, to path: String, mode: Mode, temporary: String? = nil
    ) throws(DurableFileError) {
        let file = try PartialFile(replacing: path, mode: mode, temporary: temporary)
        do throws(DurableFileError) {
            try file.write(bytes)
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }

    /// Creates `path` holding `bytes` unless a file is there already; returns whether this call
    /// made it. Written beside it, synced, then linked into place (`link(2)` never replaces), so
    /// of processes racing to make one file exactly one wins and the rest read what it wrote.
    public static func create(_ bytes: Data, at path: String, mode: Mode) throws(DurableFileError) -> Bool {
        let file = try PartialFile(
            replacing: path, mode: mode, temporary: "\(path).new-\(UInt32.random(in: 0...UInt32.max))")
        defer { file.discard() }
        try file.write(bytes)
        return try file.link()
    }

    /// Replaces `path` with what `body` writes into the partial file, committed when `body`
    /// returns and discarded when it throws: a broken transfer leaves no file that looks whole.
    public static func replace<T>(
        _ path: String, mode: Mode, temporary: String? = nil, _ body: (PartialFile) async throws -> T
    ) async throws -> T {
        let file = try PartialFile(replacing: path, mode: mode, temporary: temporary)
        do {
            let result = try await body(file)
            try file.commit()
            return result
        } catch {
            file.discard()
            throw error
        }
    }

    /// Renames `from` over `to` atomically, then syncs the directory of `to`. `syncingFirst`
    /// syncs `from` before, for a file another writer made (SQLite's backup) and did not sync.
    public static func renameDurably(_ from: String, to: String, syncingFirst: Bool = false) throws(DurableFileError) {
        if syncingFirst {
            let descriptor = open(from, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw DurableFileError("open", from) }
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else { throw DurableFileError("fsync", from) }
        }
        guard rename(from, to) == 0 else { throw DurableFileError("rename into", to) }
        try syncDirectory((to as NSString).deletingLastPathComponent)
    }

    /// Makes the directory's entries (a rename, a new file) durable.
    public static func syncDirectory(_ path: String) throws(DurableFileError) {
        let descriptor = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DurableFileError("open", path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw DurableFileError("fsync", path) }
    }

    /// Tightens files an older version left readable by others (0600).
    public static func restrictToOwner(_ paths: [String]) throws(DurableFileError) {
        for path in paths where FileManager.default.fileExists(atPath: path) {
            guard chmod(path, 0o600) == 0 else { throw DurableFileError("restrict to its owner (chmod 0600)", path) }
        }
    }
}

/// A file being written in place of another, until `commit` or `discard`.
public final class PartialFile: @unchecked Sendable {
    public let path: String
    public let temporaryPath: String
    private let descriptor: Int32
    private var closed = false

    init(replacing path: String, mode: DurableFile.Mode, temporary: String?) throws(DurableFileError) {
        self.path = path
        temporaryPath = temporary ?? path + ".tmp"
        unlink(temporaryPath)
        let bits: mode_t =
            switch mode {
            case .created(let bits), .exactly(let bits): bits
            }
        // O_NOFOLLOW: a link planted where the temporary file goes is refused, not written through.
        descriptor = open(temporaryPath, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, bits)
        guard descriptor >= 0 else { throw DurableFileError("create", temporaryPath) }
        if case .exactly(let bits) = mode, fchmod(descriptor, bits) != 0 {
            let error = DurableFileError("set the permissions of", temporaryPath)
            close(descriptor)
            unlink(temporaryPath)
            throw error
        }
    }

    deinit {
        if !closed {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    /// A handle on the partial file, for writers that take one; it does not close the file.
    public var handle: FileHandle { FileHandle(fileDescriptor: descriptor, closeOnDealloc: false) }

    /// Appends all of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(DurableFileError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw DurableFileError("write", temporaryPath)
            }
            offset += written
        }
    }

    /// Appends all of `data`.
    public func write(_ data: Data) throws(DurableFileError) {
        var failure: DurableFileError?
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Void in
            do throws(DurableFileError) {
                try write(raw)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Syncs the partial file and renames it over the target, durably.
    func commit() throws(DurableFileError) {
        guard fsync(descriptor) == 0 else { throw DurableFileError("fsync", temporaryPath) }
        closed = true
        close(descriptor)
        do {
            try DurableFile.renameDurably(temporaryPath, to: path)
        } catch {
            unlink(temporaryPath)
            throw error
        }
    }

    /// Syncs the partial file and links it in as the target unless one exists (false then); the
    /// partial file stays for `discard`.
    func link() throws(DurableFileError) -> Bool {
        guard fsync(descriptor) == 0 else { throw DurableFileError("fsync", temporaryPath) }
        guard Glibc.link(temporaryPath, path) == 0 else {
            if errno == EEXIST { return false }
            throw DurableFileError("link into", path)
        }
        try DurableFile.syncDirectory((path as NSString).deletingLastPathComponent)
        return true
    }

    /// Removes the partial file; the target stays as it was (or as `link` made it).
    func discard() {
        guard !closed else { return }
        closed = true
        close(descriptor)
        unlink(temporaryPath)
    }
}

/// Why a durable write failed: the operation, the path and the system's reason.
public struct DurableFileError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let path: String
    /// The `errno` of the failure.
    public let code: Int32

    init(_ operation: String, _ path: String) {
        self.operation = operation
        self.path = path
        code = errno
    }

    /// The disk (or the quota) is full.
    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String { "cannot \(operation) \(path): \(String(cString: strerror(code)))" }
}
