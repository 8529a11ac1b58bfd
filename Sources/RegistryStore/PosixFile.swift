import DurableFiles
import SystemShims

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A thin owner of a POSIX file descriptor: full writes, positioned reads, fsync.
///
/// The store uses raw descriptors so that writes stream straight to the page cache and reads
/// copy exactly the requested range, with no buffering layer in between.
final class PosixFile: @unchecked Sendable {
    let descriptor: Int32
    let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { _ = close(descriptor) }

    /// Opens for reading front to back, which is how the store reads every file: the kernel is
    /// told so, and reads further ahead.
    static func openForReading(_ path: String) throws(StoreError) -> PosixFile {
        let file = try open(path, flags: O_RDONLY | O_CLOEXEC)
        _ = posix_fadvise(file.descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
        return file
    }

    /// Opens for appending, creating the file if needed.
    static func openForAppending(_ path: String) throws(StoreError) -> PosixFile {
        try open(path, flags: O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC)
    }

    /// Creates a new file, truncating any old one.
    static func create(_ path: String) throws(StoreError) -> PosixFile {
        try open(path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC)
    }

    private static func open(_ path: String, flags: Int32) throws(StoreError) -> PosixFile {
        let fd = Glibc.open(path, flags, 0o644)
        guard fd >= 0 else { throw PosixFile.error("open", path) }
        return PosixFile(descriptor: fd, path: path)
    }

    /// Writes every byte, retrying short writes.
    func write(_ bytes: UnsafeRawBufferPointer) throws(StoreError) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = Glibc.write(descriptor, base, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw PosixFile.error("write", path)
            }
            remaining -= written
            base += written
        }
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns the number read (0 at end).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StoreError) -> Int {
        while true {
            let n = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw PosixFile.error("read", path)
            }
            return n
        }
    }

    /// Reads like `read(into:at:)` but only from the page cache: nil when the read would wait
    /// for the disk, or when the system cannot read without waiting (then every call is nil).
    func readIfCached(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StoreError) -> Int? {
        while true {
            let n = satellite_pread_if_cached(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN, EOPNOTSUPP, EINVAL, ENOSYS: return nil
            default: throw PosixFile.error("read", path)
            }
        }
    }

    /// Starts writing the file's dirty pages back to the disk, without waiting; best effort.
    func startWriteback() {
        _ = satellite_start_writeback(descriptor, 0, 0)
    }

    /// Reads the whole file.
    func readAll() throws(StoreError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(try size()))
        var offset = 0
        var failure: StoreError?
        bytes.withUnsafeMutableBytes { raw in
            while offset < raw.count {
                do {
                    let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[offset...]), at: Int64(offset))
                    if n == 0 { break }
                    offset += n
                } catch let error as StoreError {
                    failure = error
                    return
                } catch {
                    return
                }
            }
        }
        if let failure { throw failure }
        return Array(bytes[0..<offset])
    }

    func size() throws(StoreError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw PosixFile.error("stat", path) }
        return Int64(info.st_size)
    }

    func sync() throws(StoreError) {
        guard fsync(descriptor) == 0 else { throw PosixFile.error("fsync", path) }
    }

    static func error(_ operation: String, _ path: String) -> StoreError {
        let code = errno
        let reason = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT {
            return StoreError(.diskFull, "the disk holding the registry is full (\(operation) \(path): \(reason))")
        }
        return StoreError(.io, "\(operation) \(path): \(reason)")
    }
}

/// Filesystem operations the store needs beyond one open file.
enum FileSystem {
    static func makeDirectory(_ path: String) throws(StoreError) {
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw PosixFile.error("mkdir", path)
        }
    }

    /// Renames atomically, replacing the target, then makes the rename durable.
    static func renameDurably(_ from: String, to: String) throws(StoreError) {
        do {
            try DurableFile.renameDurably(from, to: to)
        } catch {
            throw storeError(error)
        }
    }

    static func syncDirectory(_ path: String) throws(StoreError) {
        do {
            try DurableFile.syncDirectory(path)
        } catch {
            throw storeError(error)
        }
    }

    /// A durable write's failure as the store reports it: a full disk as such.
    static func storeError(_ error: DurableFileError) -> StoreError {
        error.isDiskFull
            ? StoreError(.diskFull, "the disk holding the registry is full (\(error))")
            : StoreError(.io, error.description)
    }

    static func remove(_ path: String) {
        _ = unlink(path)
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Size and modification time (seconds since 1970), or nil if absent.
    static func status(_ path: String) -> (size: Int64, modified: Double)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (Int64(info.st_size), Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }

    /// Names of the entries of a directory, without `.` and `..`.
    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Free and total bytes of the filesystem holding `path`.
    static func capacity(_ path: String) -> (free: Int64, total: Int64)? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return (Int64(info.f_bavail) * Int64(info.f_frsize), Int64(info.f_blocks) * Int64(info.f_frsize))
    }
}

extension PosixFile {
    /// Cuts the file back to `length` bytes, undoing a failed append, and writes on from there
    /// (without the seek, a file not opened for appending would go on at its old end, after a
    /// hole of zeros).
    func truncate(to length: Int64) throws(StoreError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw PosixFile.error("truncate", path) }
        guard lseek(descriptor, off_t(length), SEEK_SET) >= 0 else { throw PosixFile.error("seek", path) }
    }
}
