#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exclusive use of a data directory by one process: the satellite that serves it, or an import
/// that rewrites it. An advisory lock on `<directory>/satellite.lock`, released when the process
/// ends however it ends.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    /// Taken before the store is opened: opening sweeps what a crash left in `uploads/`, which
    /// would take another process's uploads in flight. Makes the directory if need be.
    public init(directory: DataDirectory, purpose: String) throws(DataDirectoryLockError) {
        if mkdir(directory.path, 0o755) != 0 && errno != EEXIST {
            throw DataDirectoryLockError("cannot make \(directory): \(String(cString: strerror(errno)))")
        }
        let path = directory.lock
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DataDirectoryLockError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw DataDirectoryLockError(
                "\(directory) is in use by another satellite process; stop it before \(purpose)")
        }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }
}

public struct DataDirectoryLockError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
