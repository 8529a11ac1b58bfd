import ServiceLifecycle
import SystemShims

/// Keeps what a crowd of blob downloads allocated from staying with the process after it leaves.
public enum ProcessMemory {
    /// Large buffers from mmap, so freeing them returns them; call once at start.
    public static func tune() {
        satellite_tune_allocator()
    }

    /// Hands free heap memory back to the system.
    public static func releaseFree() {
        satellite_release_free_memory()
    }
}

/// Returns free heap memory to the system every `interval`: after a burst of downloads the
/// allocator's heaps keep their high-water mark otherwise (measured in BENCHMARKS.md). A pass
/// over idle heaps costs well under a millisecond.
public struct MemoryReturnService: Service {
    let interval: Duration

    public init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                ProcessMemory.releaseFree()
            }
        }
    }
}
