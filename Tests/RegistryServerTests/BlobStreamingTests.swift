import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import NIOPosix
import OCI
import RegistryServer
import RegistryStore
import Synchronization
import TestSupport
import Testing

/// Blob bodies are pumped from the connection's event loop (`BlobSender`): from the page cache
/// on the loop, from the disk on the I/O pool, and a vanished client ends the pump.
@Suite struct BlobStreamingTests {
    /// Evicts the blob's file from the page cache, so that the GET has to go to the disk.
    @Test func blobOutOfThePageCacheIsReadOnTheIOPool() async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(2 * 1024 * 1024 + 3, seed: 7)
            let digest = try await r.storeBlob("repo", bytes)
            let path = r.store.layout.blobPath(digest)
            let descriptor = open(path, O_RDONLY)
            try #require(descriptor >= 0)
            // Dirty pages are not evicted: flush first, whatever the store's write left in flight.
            #expect(fsync(descriptor) == 0)
            #expect(posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED) == 0)
            close(descriptor)

            let whole = try await r.request(.get, "/v2/repo/blobs/\(digest)")
            #expect(whole.status == .ok)
            #expect(Array(buffer: whole.body) == bytes)
            let diskReads = try await r.metric("registry_blob_disk_reads_total")
            #expect(
                diskReads > 0,
                """
                the blob was still in the page cache: the store's file system (\(r.directory)) must let \
                posix_fadvise evict pages; run with TMPDIR on a disk file system, not tmpfs
                """
            )
        }
    }

    @Test func clientGoneMidBlobReleasesTheBlob() async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(16 * 1024 * 1024, seed: 9)
            let digest = try await r.storeBlob("repo", bytes)
            let port = r.port
            let blobPath = r.store.layout.blobPath(digest)

            // Ask for the blob, take a little of it, and hang up.
            let connection = try RawConnection(port: port)
            try connection.send("GET /v2/repo/blobs/\(digest) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try connection.receive(atLeast: 64 * 1024) >= 64 * 1024)
            connection.close()

            // The server stops pumping and closes the blob's file. (What is checked is that it
            // happens; a loaded machine running the whole suite has taken over 10 s.)
            try await poll("the blob's file to be closed", timeout: .seconds(45)) {
                !openFiles().contains(blobPath)
            }
            #expect(Array(buffer: try await r.request(.get, "/v2/repo/blobs/\(digest)").body) == bytes)
        }
    }

    /// On a channel that takes every write at once, the pump sends one turn's worth and then
    /// waits for its scheduled pause; without that bound it would send everything in one go.
    @Test func pumpYieldsAfterEachTurn() async throws {
        try await RegistryHarness.run { r in
            let size = 2 * Int(BlobSender.bytesPerTurn) + 12345
            let digest = try await r.storeBlob("repo", [UInt8](repeating: 0x33, count: size))
            let reader = try await r.store.openBlob(repository: RepositoryName("repo"), digest: digest)
            let channel = NIOAsyncTestingChannel()
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5050))
            let sender = BlobSender(
                channel: channel, reader: reader, range: 0..<Int64(size), chunkSize: 512 * 1024,
                metrics: RegistryMetrics())
            let sending = Task { try await sender.send() }

            var sent = 0
            func drainOutbound() async throws {
                while let part = try await channel.readOutbound(as: HTTPResponsePart.self) {
                    if case .body(let buffer) = part { sent += buffer.readableBytes }
                }
            }
            // The first turn starts once `send()` has queued it.
            try await poll("the first turn", timeout: .seconds(10)) {
                await channel.testingEventLoop.run()
                try await drainOutbound()
                return sent > 0
            }
            #expect(sent == Int(BlobSender.bytesPerTurn))
            // Each turn reads the file on the I/O pool: wait for it, then it must stop at one turn.
            for expected in [2 * Int(BlobSender.bytesPerTurn), size] {
                await channel.testingEventLoop.advanceTime(by: BlobSender.pauseBetweenTurns)
                try await poll("the next turn", timeout: .seconds(10)) {
                    await channel.testingEventLoop.run()
                    try await drainOutbound()
                    return sent >= expected
                }
                #expect(sent == expected)
            }
            _ = try await sending.value
        }
    }

    /// A client that reads as fast as the server writes (a runtime on the same host) never makes
    /// the socket push back, so only the pump's own turns let other connections in.
    @Test func largeGetLeavesTheEventLoopToOtherRequests() async throws {
        // One event loop: the small request cannot be served by another.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        try await RegistryHarness.run(eventLoopGroup: .shared(group)) { r in
            // Straight into the store and never whole in memory: pushed over HTTP, 512 MiB could
            // outlast the test client's timeout on a loaded machine, and the push is not what this
            // test is about.
            let body = RepeatedChunks(ByteBuffer(repeating: 0x5a, count: 1024 * 1024), count: 512)
            let digest = body.digest
            try await r.store.putBlob(repository: try RepositoryName("repo"), digest: digest, body: body)
            let port = r.port

            // The small request's handler runs on Swift's cooperative threads, which a loaded
            // machine (the whole suite runs at once on two cores) may not hand it within the
            // ~200 ms a 512 MiB GET lasts. So it tries again until one try shows the small request
            // answered while the large GET was still streaming, for up to 90 s: by then the rest
            // of the suite has finished. `pumpYieldsAfterEachTurn` is the exact guard.
            var answeredMidStream = false
            var tries = 0
            let giveUp = ContinuousClock.now + .seconds(90)
            while !answeredMidStream, ContinuousClock.now < giveUp {
                tries += 1
                let large = try RawConnection(port: port)
                try large.send("GET /v2/repo/blobs/\(digest) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                let drain = Drain(large)
                let deadline = ContinuousClock.now + .seconds(30)
                while drain.received < 1024 * 1024, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(1))
                }
                try #require(!drain.isFinished, "the GET ended before the small request could be sent")

                #expect(try await r.request(.get, "/v2/").status == .ok)
                answeredMidStream = !drain.isFinished

                try await poll("the large GET to end") { drain.isFinished }
                #expect(drain.received > body.totalBytes)
                // Give the other suites' work a moment before the next try.
                if !answeredMidStream { try await Task.sleep(for: .seconds(1)) }
            }
            #expect(answeredMidStream, "the small request waited for the whole large GET, \(tries) times in 90 s")
        }
        try await group.shutdownGracefully()
    }
}

/// Reads a connection to its end on a thread of its own, as fast as the kernel hands bytes over.
private final class Drain: Sendable {
    private let count = Atomic<Int>(0)
    private let ended = Atomic<Bool>(false)

    init(_ connection: RawConnection) {
        let box = UncheckedBox(connection)
        Thread.detachNewThread { [self] in
            while let n = try? box.value.receiveSome(), n > 0 {
                count.add(n, ordering: .relaxed)
            }
            ended.store(true, ordering: .releasing)
        }
    }

    var received: Int { count.load(ordering: .relaxed) }
    var isFinished: Bool { ended.load(ordering: .acquiring) }
}

/// Hands a connection to the one thread that reads it.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

extension RegistryHarness {
    /// The value of an unlabelled counter in `/metrics`.
    func metric(_ name: String) async throws -> Double {
        let text = String(buffer: try await request(.get, "/metrics").body)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(name + " ") })
        return try #require(Double(line.split(separator: " ")[1]))
    }
}

/// The paths this process has open.
private func openFiles() -> Set<String> {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return Set(entries.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) })
}

/// A bare TCP connection, for requests a well-behaved HTTP client would not make.
private final class RawConnection {
    private var descriptor: Int32
    private var scratch = [UInt8](repeating: 0, count: 1024 * 1024)

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard descriptor >= 0, connected == 0 else { throw TestSupportError("cannot connect to 127.0.0.1:\(port)") }
    }

    deinit { close() }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw TestSupportError("send failed")
        }
    }

    /// Reads until at least `count` bytes have come; returns how many did.
    func receive(atLeast count: Int) throws -> Int {
        var total = 0
        while total < count {
            let n = try receiveSome()
            guard n > 0 else { throw TestSupportError("connection ended after \(total) bytes") }
            total += n
        }
        return total
    }

    /// Reads until the server closes; returns how many bytes came.
    func receiveToEnd() throws -> Int {
        var total = 0
        while case let n = try receiveSome(), n > 0 { total += n }
        return total
    }

    /// Reads what has arrived, waiting for something; 0 when the server has closed.
    func receiveSome() throws -> Int {
        let n = recv(descriptor, &scratch, scratch.count, 0)
        guard n >= 0 else { throw TestSupportError("recv failed: errno \(errno)") }
        return n
    }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }
}
