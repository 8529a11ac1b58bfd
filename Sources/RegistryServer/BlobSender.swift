import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOPosix
import RegistryStore
import Synchronization

/// Streams a blob range into a connection from the connection's own event loop.
///
/// Reading and writing on one thread, with no hop between a task and the event loop per chunk,
/// is what lets a GET keep up with a plain blocking read/write loop (measured in BENCHMARKS.md).
/// Only reads the page cache can answer at once happen on the event loop; a read that would wait
/// for the disk goes to NIO's blocking-I/O thread pool, so a cold blob never stalls the loop's
/// other connections.
package final class BlobSender: @unchecked Sendable {
    // Everything below is touched only on `eventLoop` once `send()` has started.
    private let channel: any Channel
    private let eventLoop: any EventLoop
    private let reader: BlobReader
    private let metrics: RegistryMetrics
    private let end: Int64
    /// The largest chunk, for readers that keep up.
    private let chunkSize: Int
    /// The chunk read next: it starts at `firstChunk`, doubles while the connection takes each
    /// write at once, and falls back when the reader makes the pump wait; it never exceeds this
    /// GET's share of `sharedBudget`. A crowd of slow readers then holds about 64 KiB each
    /// (read buffer plus the write the kernel has not taken yet) rather than the fast path's
    /// 512 KiB twice (measured in BENCHMARKS.md: 200 slow readers).
    private var currentChunk: Int
    static let firstChunk = 64 * 1024
    /// Bytes of chunks all blob GETs of the process may size themselves to, together.
    static let sharedBudget = 16 * 1024 * 1024
    /// Blob GETs streaming now, in this process.
    private static let active = Atomic<Int>(0)
    private var offset: Int64
    private var buffer: ByteBuffer
    private let done: EventLoopPromise<Void>
    private var finished = false

    package init(
        channel: any Channel, reader: BlobReader, range: Range<Int64>, chunkSize: Int, metrics: RegistryMetrics
    ) {
        self.channel = channel
        self.eventLoop = channel.eventLoop
        self.reader = reader
        self.metrics = metrics
        self.end = range.upperBound
        self.offset = range.lowerBound
        self.chunkSize = chunkSize
        self.currentChunk = min(Self.firstChunk, chunkSize)
        self.turnEnd = range.lowerBound + Self.bytesPerTurn
        self.buffer = channel.allocator.buffer(
            capacity: Int(min(Int64(currentChunk), range.upperBound - range.lowerBound)))
        self.done = channel.eventLoop.makePromise()
    }

    /// Sends the range, or less when the blob file is shorter than its record (the client sees a
    /// short body and retries). Returns the bytes sent.
    @discardableResult
    package func send() async throws -> Int64 {
        let start = offset
        Self.active.add(1, ordering: .relaxed)
        defer {
            Self.active.subtract(1, ordering: .relaxed)
            ProcessMemory.noteFreed()
        }
        eventLoop.execute { self.pump() }
        try await done.futureResult.get()
        metrics.sent(offset - start)
        return offset - start
    }

    /// Bytes one turn of the pump may send before it lets the event loop serve other connections.
    /// A loopback client reads as fast as the pump writes, so the socket never pushes back; without
    /// a bound, one large GET would hold the loop until it ended (measured: small requests on the
    /// same server waited up to 1.8 s behind 1 GiB GETs).
    package static let bytesPerTurn: Int64 = 8 * 1024 * 1024
    /// The next turn is scheduled this far ahead rather than queued at once: NIO runs queued tasks
    /// back to back before polling for I/O, and a pause, however short, ends that run.
    package static let pauseBetweenTurns = TimeAmount.microseconds(20)

    /// Where the current turn of the pump ends; chunks stop there, so each turn sends exactly its
    /// share, however often it waited for the channel or the disk on the way.
    private var turnEnd: Int64 = 0

    private func pump() {
        while offset < end, !finished {
            if offset >= turnEnd {
                turnEnd = offset + Self.bytesPerTurn
                eventLoop.scheduleTask(in: Self.pauseBetweenTurns) { self.pump() }
                return
            }
            guard channel.isActive else { return finish(.failure(ChannelError.ioOnClosedChannel)) }
            let cached: Bool
            do {
                cached = try reader.readIfCached(at: offset, maxLength: nextLength, into: &buffer)
            } catch {
                return finish(.failure(error))
            }
            guard cached else { return readFromDisk() }
            guard writeChunk() else { return }
        }
        finish(.success(()))
    }

    private var nextLength: Int { Int(min(Int64(currentChunk), end - offset, max(turnEnd - offset, 1))) }

    /// Hands `buffer` to the channel; true when the pump may read on at once, false when it
    /// resumes once the channel has drained (or the stream is over).
    private func writeChunk() -> Bool {
        guard buffer.readableBytes > 0 else {
            finish(.success(()))
            return false
        }
        offset += Int64(buffer.readableBytes)
        let written = channel.writeAndFlush(HTTPResponsePart.body(buffer))
        if channel.isWritable {
            let share = Self.sharedBudget / max(1, Self.active.load(ordering: .relaxed))
            currentChunk = max(Self.firstChunk, min(currentChunk * 2, chunkSize, share))
            if offset < end { return true }
        } else if currentChunk > Self.firstChunk {
            // A reader slower than the pump: smaller chunks, and a buffer to match once the
            // channel lets go of this one.
            currentChunk = Self.firstChunk
            buffer = channel.allocator.buffer(capacity: currentChunk)
        }
        written.whenComplete { result in
            switch result {
            case .failure(let error): self.finish(.failure(error))
            // Through the queue, so that a write that completed at once does not recurse.
            case .success: self.eventLoop.execute { self.pump() }
            }
        }
        return false
    }

    private func readFromDisk() {
        metrics.blobReadFromDisk()
        let reader = reader, offset = offset, length = nextLength
        let storage = buffer
        NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { () throws -> ByteBuffer in
            var buffer = storage
            try reader.read(at: offset, maxLength: length, into: &buffer)
            return buffer
        }.whenComplete { result in
            switch result {
            case .failure(let error):
                self.finish(.failure(error))
            case .success(let filled):
                self.buffer = filled
                if self.writeChunk() { self.pump() }
            }
        }
    }

    private func finish(_ result: Result<Void, any Error>) {
        guard !finished else { return }
        finished = true
        done.completeWith(result)
    }
}
