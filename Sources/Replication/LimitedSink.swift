import NIOCore
import OCI
import RegistryClient
import RegistryStore
import StateContent

/// Wraps the sink a blob is written to: refuses bytes beyond the size the manifest promised and
/// paces them by the satellite's bandwidth limit.
final class LimitedSink: BlobSink {
    let inner: any BlobSink
    let digest: Digest
    let expectedSize: Int64
    let limiter: BandwidthLimiter?

    init(_ inner: any BlobSink, digest: Digest, expectedSize: Int64, limiter: BandwidthLimiter?) {
        self.inner = inner
        self.digest = digest
        self.expectedSize = expectedSize
        self.limiter = limiter
    }

    var offset: Int64 { inner.offset }

    func receive(_ buffer: ByteBuffer) async throws {
        guard inner.offset + Int64(buffer.readableBytes) <= expectedSize else {
            throw SinkError(
                StoreError(.sizeMismatch, "blob \(digest) is larger than the \(expectedSize) bytes its manifest says"))
        }
        try await inner.receive(buffer)
        await limiter?.consume(buffer.readableBytes)
    }

    func restart() async throws { try await inner.restart() }
}
