import ServiceLifecycle
import Synchronization
import SystemShims

/// Keeps what a crowd of blob downloads allocated from staying with the process after it leaves.
public enum ProcessMemory {
    /// Hands free heap memory back to the system.
    public static func releaseFree() {
        satellite_release_free_memory()
    }

    /// Something freed buffers worth returning (a blob download ended).
    static func noteFreed() {
        freed.store(true, ordering: .relaxed)
    }

    fileprivate static let freed = Atomic<Bool>(false)
}

/// Returns free heap memory to the system within `interval` of a blob download ending: after a
/// burst of downloads the allocator's heaps keep their high-water mark otherwise (measured in
/// BENCHMARKS.md). Nothing is done while no download has ended.
public struct MemoryReturnService: Service {
    let interval: Duration

    public init(interval: Duration = .seconds(2)) {
        self.interval = interval
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                if ProcessMemory.freed.exchange(false, ordering: .relaxed) { ProcessMemory.releaseFree() }
            }
        }
    }
}
