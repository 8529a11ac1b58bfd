import Hummingbird
import OCI
import RegistryStore

extension RegistryResponder {
    /// `POST /v2/<name>/blobs/uploads/`: a single-request push (`?digest=`), a cross-repository
    /// mount (`?mount=&from=`), or a new upload session.
    func startUpload(_ name: RepositoryName, _ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        if let mount = query.get("mount") {
            let digest = try Digest(mount)
            let source = try query.get("from").map { raw throws(OCIError) in try RepositoryName(raw) }
            if try await store.mountBlob(digest, from: source, into: name) {
                return .empty(
                    .created,
                    headers: [
                        .location: "/v2/\(name)/blobs/\(digest)",
                        .dockerContentDigest: digest.string,
                    ])
            }
            // Not mountable: fall through to a new session, as the spec says.
        } else if let raw = query.get("digest") {
            let digest = try Digest(raw)
            let size = try await store.putBlob(repository: name, digest: digest, body: request.body)
            metrics.received(size)
            return .empty(
                .created,
                headers: [
                    .location: "/v2/\(name)/blobs/\(digest)",
                    .dockerContentDigest: digest.string,
                ])
        }
        let id = try await store.startUpload(repository: name)
        return .empty(
            .accepted,
            headers: [
                .location: Self.uploadLocation(name, id),
                .dockerUploadUUID: id.value,
                .range: "0-0",
            ])
    }

    func uploadStatus(_ name: RepositoryName, _ rawID: String) async throws -> Response {
        let id = try uploadID(rawID)
        let offset = try await store.uploadOffset(repository: name, id: id)
        return uploadProgress(.noContent, name, id, offset: offset)
    }

    /// `PATCH`: a chunk with `Content-Range`, or a streamed body without one.
    func patchUpload(_ name: RepositoryName, _ rawID: String, _ request: Request) async throws -> Response {
        let id = try uploadID(rawID)
        let expectedStart = try Self.chunkStart(request)
        let (offset, received) = try await store.appendToUpload(
            repository: name, id: id, expectedStart: expectedStart, body: request.body)
        metrics.received(received)
        return uploadProgress(.accepted, name, id, offset: offset)
    }

    /// `PUT ?digest=`: the last chunk (possibly empty), then verify and commit.
    func finishUpload(_ name: RepositoryName, _ rawID: String, _ request: Request) async throws -> Response {
        let id = try uploadID(rawID)
        guard let raw = request.uri.queryParameters.get("digest") else {
            throw RegistryError(
                .badRequest, .digestInvalid, "the digest query parameter is required to finish an upload")
        }
        let digest = try Digest(raw)
        // A last chunk with a Content-Range must start where the upload ends, as a PATCH must:
        // otherwise 416 with the Range held, not a digest error after the fact.
        let expectedStart = try Self.chunkStart(request)
        let (_, received) = try await store.finishUpload(
            repository: name, id: id, digest: digest, expectedStart: expectedStart, body: request.body)
        metrics.received(received)
        return .empty(
            .created,
            headers: [
                .location: "/v2/\(name)/blobs/\(digest)",
                .dockerContentDigest: digest.string,
            ])
    }

    /// Where a chunk says it starts (`Content-Range: start-end`), checked against its length; nil without the header.
    private static func chunkStart(_ request: Request) throws -> Int64? {
        guard let header = request.headers[.contentRange] else { return nil }
        guard let chunk = ChunkRange(header: header) else {
            throw RegistryError(
                .badRequest, .blobUploadInvalid, "Content-Range '\(header.prefix(100))' is not start-end")
        }
        if let length = request.headers[.contentLength].flatMap({ Int64($0) }), length != chunk.length {
            throw RegistryError(
                .badRequest, .blobUploadInvalid,
                "Content-Range covers \(chunk.length) bytes but Content-Length is \(length)")
        }
        return chunk.start
    }

    func cancelUpload(_ name: RepositoryName, _ rawID: String) async throws -> Response {
        let id = try uploadID(rawID)
        try await store.cancelUpload(repository: name, id: id)
        return .empty(.noContent)
    }

    /// The reply that tells a client where its upload is and how much it holds.
    private func uploadProgress(
        _ status: HTTPResponse.Status, _ name: RepositoryName, _ id: UploadID, offset: Int64
    ) -> Response {
        .empty(
            status,
            headers: [
                .location: Self.uploadLocation(name, id),
                .dockerUploadUUID: id.value,
                .range: Self.uploadRange(offset),
            ])
    }

    private func uploadID(_ raw: String) throws -> UploadID {
        guard let id = UploadID(raw) else {
            throw RegistryError(.notFound, .blobUploadUnknown, "upload '\(raw.prefix(100))' is unknown")
        }
        return id
    }
}
