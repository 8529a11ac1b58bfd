import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// The simulator's open files, checked before it opens any. A Swift process on Linux must not run
/// out of descriptors: libdispatch's worker-pool monitor opens `/proc/<tid>/stat` every second
/// while work is queued, and stops the process with SIGILL ("workq: registered worker exited
/// prematurely") when the open fails. That was the simulator's crash at 25,000 and 100,000
/// satellites: two connections each, past the limit of 20,000. Now it refuses such a load at once.
enum FileDescriptorBudget {
    /// Raises the soft limit to the hard one and refuses `connections` (plus a reserve) beyond it.
    static func require(connections: Int, what: String) throws {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let available = limit.rlim_cur >= rlim_t(Int32.max) ? Int(Int32.max) : Int(limit.rlim_cur)
        let needed = connections + reserve
        guard needed <= available else {
            throw ValidationError(
                """
                --satellites: \(what) may hold \(connections) connections, and with \(reserve) files in reserve \
                that is more than the \(available) this process may open; run more simulator processes \
                (scripts/bench/fleet.sh does, of at most 9,000)
                """)
        }
    }

    /// Files besides the satellites' connections: the admin client's, and what libdispatch and the
    /// runtime open.
    static let reserve = 512
}
