import Hummingbird
import NIOCore
import OCI
import RegistryStore

extension RegistryResponder {
    func getBlob(_ name: RepositoryName, _ rawDigest: String, _ request: Request, channel: any Channel, head: Bool) async throws -> Response {
        let digest = try Digest(rawDigest)
        do {
            return try await readBlob(name, digest, request, channel: channel, head: head)
        } catch let error as StoreError where error.isMiss {
            guard try await onDemand.fetchBlob(name, digest: digest) else { throw error }
            return try await readBlob(name, digest, request, channel: channel, head: head)
        }
    }

    private func readBlob(_ name: RepositoryName, _ digest: Digest, _ request: Request, channel: any Channel, head: Bool) async throws -> Response {
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
        // Bypasses `writer` for the bytes (see `BlobSender`); the writer still ends the response.
        let sender = BlobSender(channel: channel, reader: reader, range: range, chunkSize: readChunkSize, metrics: metrics)
        let body = ResponseBody(contentLength: Int(length)) { writer in
            try await sender.send()
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
