import NIOCore
import OCI
import RegistryClient
import SatelliteProtocol

/// Where a bundle's bytes go, in order: an HTTP response, a file.
public protocol BundleOutput {
    mutating func write(_ buffer: ByteBuffer) async throws
}

/// Writes a bundle as a tar stream, one entry after another: small files from memory, blobs as
/// they arrive from a source, each hashed on the way through. Nothing is held but the chunk in
/// hand, so a bundle of any size costs the same memory.
public final class BundleWriter<Output: BundleOutput> {
    public private(set) var output: Output
    /// Bytes written so far.
    public private(set) var written: Int64 = 0

    public init(output: Output) {
        self.output = output
    }

    /// A whole file from memory.
    public func file(_ name: String, _ bytes: [UInt8]) async throws {
        try await header(TarHeader(name: name, size: Int64(bytes.count)))
        try await emit(ByteBuffer(bytes: bytes))
        try await pad(Int64(bytes.count))
    }

    /// A blob under `blobs/<algorithm>/<hex>`, filled by `fill` (a source's download): it must
    /// deliver exactly `size` bytes that hash to `digest`, or the bundle is broken off. A
    /// download cannot start over, as bytes already sent cannot be taken back.
    public func blob(_ digest: Digest, size: Int64, fill: (any BlobSink) async throws -> Void) async throws {
        try await header(TarHeader(name: BundleLayout.blobPath(digest), size: size))
        let sink = TarBlobSink(writer: self, digest: digest, size: size)
        try await fill(sink)
        guard sink.offset == size else {
            throw ReplicationError(.invalidContent, "blob \(digest) ended after \(sink.offset) of its \(size) bytes")
        }
        let actual = sink.hasher.finalize()
        guard actual == digest else {
            throw ReplicationError(.digestMismatch, "blob \(digest) arrived with digest \(actual)")
        }
        try await pad(size)
    }

    /// The archive's end: two zero blocks.
    public func finish() async throws {
        try await emit(ByteBuffer(repeating: 0, count: 2 * TarHeader.blockSize))
    }

    func emit(_ buffer: ByteBuffer) async throws {
        written += Int64(buffer.readableBytes)
        try await output.write(buffer)
    }

    private func header(_ header: TarHeader) async throws {
        try await emit(ByteBuffer(bytes: try header.encoded()))
    }

    private func pad(_ size: Int64) async throws {
        // What is written was counted as it streamed, so the size is real; the tail of the block.
        let padding = Int((Int64(TarHeader.blockSize) - size % Int64(TarHeader.blockSize)) % Int64(TarHeader.blockSize))
        if padding > 0 { try await emit(ByteBuffer(repeating: 0, count: padding)) }
    }
}

/// A blob's bytes on their way into the tar: counted, hashed, refused beyond the size.
private final class TarBlobSink<Output: BundleOutput>: BlobSink {
    let writer: BundleWriter<Output>
    let digest: Digest
    let size: Int64
    var hasher: DigestHasher
    private(set) var offset: Int64 = 0

    init(writer: BundleWriter<Output>, digest: Digest, size: Int64) {
        self.writer = writer
        self.digest = digest
        self.size = size
        hasher = DigestHasher(digest.algorithm)
    }

    func receive(_ buffer: ByteBuffer) async throws {
        guard offset + Int64(buffer.readableBytes) <= size else {
            throw SinkError(ReplicationError(.tooLarge, "blob \(digest) is larger than its \(size) bytes"))
        }
        buffer.withUnsafeReadableBytes { hasher.update($0) }
        offset += Int64(buffer.readableBytes)
        try await writer.emit(buffer)
    }

    func restart() async throws {
        guard offset == 0 else {
            throw SinkError(
                ReplicationError(
                    .invalidContent, "blob \(digest) would have to start over after \(offset) bytes were written"))
        }
    }
}
