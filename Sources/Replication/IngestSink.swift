import NIOCore
import RegistryClient
import RegistryStore

/// Feeds a download into the store's ingest session, throttled by the shared bandwidth limit.
final class IngestSink: BlobSink, @unchecked Sendable {
    let ingest: BlobIngest
    let limiter: BandwidthLimiter?
    /// The size the manifest promised; more bytes than this are refused.
    let expectedSize: Int64

    init(_ ingest: BlobIngest, expectedSize: Int64, limiter: BandwidthLimiter?) {
        self.ingest = ingest
        self.expectedSize = expectedSize
        self.limiter = limiter
    }

    var offset: Int64 { ingest.offset }

    func receive(_ buffer: ByteBuffer) async throws {
        guard ingest.offset + Int64(buffer.readableBytes) <= expectedSize else {
            throw SinkError(StoreError(.sizeMismatch, "blob \(ingest.digest) is larger than the \(expectedSize) bytes its manifest says"))
        }
        do {
            try ingest.append(buffer)
        } catch {
            throw SinkError(error)
        }
        await limiter?.consume(buffer.readableBytes)
    }

    func restart() throws {
        do {
            try ingest.restart()
        } catch {
            throw SinkError(error)
        }
    }
}
