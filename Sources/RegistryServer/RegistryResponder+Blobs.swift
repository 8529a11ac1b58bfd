import Hummingbird
import NIOCore
import NIOPosix
import OCI
import RegistryStore
import Synchronization

extension RegistryResponder {
    func getBlob(_ name: RepositoryName, _ rawDigest: String, _ request: Request, channel: any Channel, head: Bool) async throws -> Response {
        let digest = try Digest(rawDigest)
        do {
            return try await readBlob(name, digest, request, channel: channel, head: head, held: true)
        } catch let error as StoreError where error.isMiss {
            switch try await onDemand.fetchBlob(name, digest: digest) {
            case nil: throw error
            case .held: return try await readBlob(name, digest, request, channel: channel, head: head, held: false)
            case .arriving(let blob): return try await sendArriving(blob, digest, request, head: head)
            }
        }
    }

    /// `held`: the store had it at the first try (counted as served from the store).
    private func readBlob(
        _ name: RepositoryName, _ digest: Digest, _ request: Request, channel: any Channel, head: Bool, held: Bool
    ) async throws -> Response {
        if head {
            guard let size = try await store.blobSize(repository: name, digest: digest) else {
                throw StoreError(.blobUnknown, "blob \(digest) is unknown to repository \(name)")
            }
            if held { onDemand.servedHeld(name, manifest: nil, bytes: 0) }
            var headers = Self.blobHeaders(digest)
            headers[.contentLength] = String(size)
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        let reader = try await store.openBlob(repository: name, digest: digest)
        let (status, range, headers) = try Self.rangeAnswer(request, digest: digest, size: reader.size)
        if held { onDemand.servedHeld(name, manifest: nil, bytes: Int64(range.count)) }
        // Bypasses `writer` for the bytes (see `BlobSender`); the writer still ends the response.
        let sender = BlobSender(channel: channel, reader: reader, range: range, chunkSize: readChunkSize, metrics: metrics)
        let body = ResponseBody(contentLength: Int(range.count)) { writer in
            try await sender.send()
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// A blob streamed as it arrives from elsewhere. A failed arrival throws mid-body, which
    /// closes the connection: the client sees a short body, never a complete-looking wrong one.
    private func sendArriving(_ blob: any ArrivingBlob, _ digest: Digest, _ request: Request, head: Bool) async throws -> Response {
        if head {
            // A HEAD has no body to cut off: it answers once the blob is verified.
            do {
                _ = try await blob.released(beyond: blob.size - 1)
            } catch {
                throw StoreError(.blobUnknown, "blob \(digest) could not be fetched: \(error)")
            }
            var headers = Self.blobHeaders(digest)
            headers[.contentLength] = String(blob.size)
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        let (status, range, headers) = try Self.rangeAnswer(request, digest: digest, size: blob.size)
        let metrics = metrics
        let largest = readChunkSize
        let body = ResponseBody(contentLength: Int(range.count)) { writer in
            // Chunks share a budget: a crowd joining one arrival holds about 8 MiB between them,
            // not half a MiB each twice over (read buffer, and the write the channel still holds).
            Self.arrivingStreams.add(1, ordering: .relaxed)
            defer { Self.arrivingStreams.subtract(1, ordering: .relaxed) }
            var offset = range.lowerBound
            var buffer = ByteBuffer()
            // An empty blob is released only once verified, like the last byte of any other.
            if range.isEmpty { _ = try await blob.released(beyond: -1) }
            while offset < range.upperBound {
                let released = min(try await blob.released(beyond: offset), range.upperBound)
                while offset < released {
                    let share = Self.arrivingBudget / max(1, Self.arrivingStreams.load(ordering: .relaxed))
                    let chunk = max(64 * 1024, min(largest, share))
                    let (at, length) = (offset, Int(min(Int64(chunk), released - offset)))
                    // Just written, so nearly always in the page cache: read in place, reusing the
                    // buffer once the channel has let go of it. The disk only on the I/O pool.
                    if try !blob.readIfCached(at: at, maxLength: length, into: &buffer) {
                        metrics.blobReadFromDisk()
                        buffer = try await NIOThreadPool.singleton.runIfActive {
                            var filled = ByteBuffer()
                            try blob.read(at: at, maxLength: length, into: &filled)
                            return filled
                        }
                    }
                    guard buffer.readableBytes > 0 else {
                        throw StoreError(.io, "blob \(digest) ended at byte \(offset) of \(blob.size) while arriving")
                    }
                    offset += Int64(buffer.readableBytes)
                    metrics.sent(Int64(buffer.readableBytes))
                    try await writer.write(buffer)
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// Arriving blobs being sent now, in this process, and the bytes of chunks they share.
    private static let arrivingStreams = Atomic<Int>(0)
    private static let arrivingBudget = 8 * 1024 * 1024

    /// The status, byte range and headers of a blob GET, from its `Range` header.
    private static func rangeAnswer(_ request: Request, digest: Digest, size: Int64) throws -> (HTTPResponse.Status, Range<Int64>, HTTPFields) {
        var headers = blobHeaders(digest)
        var range: Range<Int64> = 0..<size
        var status = HTTPResponse.Status.ok
        if let header = request.headers[.range], let requested = ByteRange(header: header) {
            guard let resolved = requested.resolve(size: size) else {
                var error = RegistryError(.rangeNotSatisfiable, .blobUnknown, "range \(header) is outside the blob's \(size) bytes")
                error.headers[.contentRange] = "bytes */\(size)"
                throw error
            }
            range = resolved
            status = .partialContent
            headers[.contentRange] = "bytes \(resolved.lowerBound)-\(resolved.upperBound - 1)/\(size)"
        }
        headers[.contentLength] = String(range.count)
        return (status, range, headers)
    }

    private static func blobHeaders(_ digest: Digest) -> HTTPFields {
        [
            .dockerContentDigest: digest.string,
            .contentType: "application/octet-stream",
            .acceptRanges: "bytes",
            .eTag: "\"\(digest)\"",
        ]
    }

    func deleteBlob(_ name: RepositoryName, _ rawDigest: String) async throws -> Response {
        let digest = try Digest(rawDigest)
        try await store.deleteBlob(repository: name, digest: digest)
        return .empty(.accepted)
    }
}
