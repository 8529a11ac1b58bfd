import Hummingbird
import OCI
import RegistryStore

extension RegistryResponder {
    func getBlob(_ name: RepositoryName, _ rawDigest: String, _ request: Request, head: Bool) async throws -> Response {
        let digest = try Digest(rawDigest)
        var headers: HTTPFields = [
            .dockerContentDigest: digest.string,
            .contentType: "application/octet-stream",
            .acceptRanges: "bytes",
            .eTag: "\"\(digest)\"",
        ]
        if head {
            guard let size = try await store.blobSize(repository: name, digest: digest) else {
                throw StoreError(.blobUnknown, "blob \(digest) is unknown to repository \(name)")
            }
            headers[.contentLength] = String(size)
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        let reader = try await store.openBlob(repository: name, digest: digest)
        var range: Range<Int64> = 0..<reader.size
        var status = HTTPResponse.Status.ok
        if let header = request.headers[.range], let requested = ByteRange(header: header) {
            guard let resolved = requested.resolve(size: reader.size) else {
                var error = RegistryError(.rangeNotSatisfiable, .blobUnknown, "range \(header) is outside the blob's \(reader.size) bytes")
                error.headers[.contentRange] = "bytes */\(reader.size)"
                throw error
            }
            range = resolved
            status = .partialContent
            headers[.contentRange] = "bytes \(resolved.lowerBound)-\(resolved.upperBound - 1)/\(reader.size)"
        }
        let length = range.upperBound - range.lowerBound
        headers[.contentLength] = String(length)
        let chunk = readChunkSize
        let metrics = self.metrics
        let selected = range
        let body = ResponseBody(contentLength: Int(length)) { writer in
            // One buffer, refilled in place once the channel has written it (measured: 1 MiB
            // chunks beat 64 KiB to 4 MiB, and larger write watermarks only slowed streams).
            var buffer = ByteBufferAllocator().buffer(capacity: chunk)
            var offset = selected.lowerBound
            while offset < selected.upperBound {
                let want = Int(min(Int64(chunk), selected.upperBound - offset))
                try reader.read(at: offset, maxLength: want, into: &buffer)
                // A blob shorter than its record: stop; the client sees a short body and retries.
                if buffer.readableBytes == 0 { break }
                offset += Int64(buffer.readableBytes)
                try await writer.write(buffer)
            }
            metrics.sent(offset - selected.lowerBound)
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    func deleteBlob(_ name: RepositoryName, _ rawDigest: String) async throws -> Response {
        let digest = try Digest(rawDigest)
        try await store.deleteBlob(repository: name, digest: digest)
        return .empty(.accepted)
    }
}
