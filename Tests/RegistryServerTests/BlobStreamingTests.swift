import Foundation
import HTTPTypes
import Hummingbird
import OCI
@testable import RegistryServer
@testable import RegistryStore
import TestSupport
import Testing

/// Blob bodies are pumped from the connection's event loop (`BlobSender`): from the page cache
/// on the loop, from the disk on the I/O pool, and a vanished client ends the pump.
@Suite struct BlobStreamingTests {
    /// Evicts the blob's file from the page cache, so that the GET has to go to the disk.
    @Test func blobOutOfThePageCacheIsReadOnTheIOPool() async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(2 * 1024 * 1024 + 3, seed: 7)
            let digest = try await r.pushBlob("repo", bytes)
            let path = r.store.layout.blobPath(digest)
            let descriptor = open(path, O_RDONLY)
            try #require(descriptor >= 0)
            #expect(posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED) == 0)
            close(descriptor)

            let whole = try await r.request(.get, "/v2/repo/blobs/\(digest)")
            #expect(whole.status == .ok)
            #expect(Array(buffer: whole.body) == bytes)
            let diskReads = try await r.metric("registry_blob_disk_reads_total")
            #expect(diskReads > 0, "the blob was still in the page cache: the store's file system (\(r.directory)) must let posix_fadvise evict pages; run with TMPDIR on a disk file system, not tmpfs")
        }
    }

    @Test func clientGoneMidBlobReleasesTheBlob() async throws {
        try await RegistryHarness.run { r in
            let bytes = Fixtures.bytes(16 * 1024 * 1024, seed: 9)
            let digest = try await r.pushBlob("repo", bytes)
            let port = try #require(r.client.port)
            let blobPath = r.store.layout.blobPath(digest)

            // Ask for the blob, take a little of it, and hang up.
            let connection = try RawConnection(port: port)
            try connection.send("GET /v2/repo/blobs/\(digest) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try connection.receive(atLeast: 64 * 1024) >= 64 * 1024)
            connection.close()

            // The server stops pumping and closes the blob's file.
            try await poll("the blob's file to be closed", timeout: .seconds(10)) {
                !openFiles().contains(blobPath)
            }
            #expect(Array(buffer: try await r.request(.get, "/v2/repo/blobs/\(digest)").body) == bytes)
        }
    }
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

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard descriptor >= 0, connected == 0 else { throw TestSupportError("cannot connect to 127.0.0.1:\(port)") }
    }

    deinit { close() }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw TestSupportError("send failed") }
    }

    /// Reads until at least `count` bytes have come; returns how many did.
    func receive(atLeast count: Int) throws -> Int {
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while total < count {
            let n = recv(descriptor, &buffer, buffer.count, 0)
            guard n > 0 else { throw TestSupportError("connection ended after \(total) bytes") }
            total += n
        }
        return total
    }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }
}
