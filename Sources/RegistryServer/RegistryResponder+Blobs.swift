import Hummingbird
import NIOCore
import NIOPosix
import OCI
import RegistryStore

extension RegistryResponder {
    func getBlob(
        _ name: RepositoryName, _ rawDigest: String, _ request: Request, channel: any Channel, head: Bool
    ) async throws -> Response {
        let digest = try Digest(rawDigest)
        do {
            return try await readBlob(name, digest, request, channel: channel, head: head, held: true)
        } catch let error as StoreError where error.isMiss {
            switch try await onDemand.fetchBlob(name, digest: digest) {
            case nil: throw error
            case .held: return try await readBlob(name, digest, request, channel: channel, head: head, held: false)
            case .arriving(let blob): return try await sendArriving(blob, digest, request, channel: channel, head: head)
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
        let sender = BlobSender(
            channel: channel, reader: reader, range: range, chunkSize: readChunkSize, metrics: metrics)
        let body = ResponseBody(contentLength: Int(range.count)) { writer in
            try await sender.send()
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// A blob streamed as it arrives from elsewhere. A failed arrival throws mid-body, which
    /// closes the connection: the client sees a short body, never a complete-looking wrong one.
    private func sendArriving(
        _ blob: any ArrivingBlob, _ digest: Digest, _ request: Request, channel: any Channel, head: Bool
    ) async throws -> Response {
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
        let reader = try blob.reader()
        let (metrics, chunk) = (metrics, readChunkSize)
        let body = ResponseBody(contentLength: Int(range.count)) { writer in
            // An empty blob is released only once verified, like the last byte of any other.
            if range.isEmpty { _ = try await blob.released(beyond: -1) }
            var offset = range.lowerBound
            while offset < range.upperBound {
                // Each released stretch goes out as a held blob's would (`BlobSender`: from the
                // page cache on the event loop, paced by the connection).
                let released = min(try await blob.released(beyond: offset), range.upperBound)
                let sender = BlobSender(
                    channel: channel, reader: reader, range: offset..<released, chunkSize: chunk, metrics: metrics)
                guard try await sender.send() == released - offset else {
                    throw StoreError(.io, "blob \(digest) ended before byte \(released) while arriving")
                }
                offset = released
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// The status, byte range and headers of a blob GET, from its `Range` header.
    static func rangeAnswer(
        _ request: Request, digest: Digest, size: Int64
    ) throws -> (HTTPResponse.Status, Range<Int64>, HTTPFields) {
        var headers = blobHeaders(digest)
        var range: Range<Int64> = 0..<size
        var status = HTTPResponse.Status.ok
        if let header = request.headers[.range], let requested = ByteRange(header: header) {
            guard let resolved = requested.resolve(size: size) else {
                var error = RegistryError(
                    .rangeNotSatisfiable, .blobUnknown, "range \(header) is outside the blob's \(size) bytes")
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

    static func blobHeaders(_ digest: Digest) -> HTTPFields {
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
