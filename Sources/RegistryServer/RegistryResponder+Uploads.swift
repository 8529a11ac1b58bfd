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
                return .empty(.created, headers: [
                    .location: "/v2/\(name)/blobs/\(digest)",
                    .dockerContentDigest: digest.string,
                ])
            }
            // Not mountable: fall through to a new session, as the spec says.
        } else if let raw = query.get("digest") {
            let digest = try Digest(raw)
            let size = try await store.putBlob(repository: name, digest: digest, body: request.body)
            metrics.received(size)
            return .empty(.created, headers: [
                .location: "/v2/\(name)/blobs/\(digest)",
                .dockerContentDigest: digest.string,
            ])
        }
        let id = try await store.startUpload(repository: name)
        return .empty(.accepted, headers: [
            .location: Self.uploadLocation(name, id),
            .dockerUploadUUID: id.value,
            .range: "0-0",
        ])
    }

    func uploadStatus(_ name: RepositoryName, _ rawID: String) async throws -> Response {
        let id = try uploadID(rawID)
        let offset = try store.uploadOffset(repository: name, id: id)
        return uploadProgress(.noContent, name, id, offset: offset)
    }

    /// `PATCH`: a chunk with `Content-Range`, or a streamed body without one.
    func patchUpload(_ name: RepositoryName, _ rawID: String, _ request: Request) async throws -> Response {
        let id = try uploadID(rawID)
        var expectedStart: Int64?
        if let header = request.headers[.contentRange] {
            guard let chunk = ChunkRange(header: header) else {
                throw RegistryError(.badRequest, .blobUploadInvalid, "Content-Range '\(header.prefix(100))' is not start-end")
            }
            if let length = request.headers[.contentLength].flatMap({ Int64($0) }), length != chunk.length {
                throw RegistryError(
                    .badRequest, .blobUploadInvalid,
                    "Content-Range covers \(chunk.length) bytes but Content-Length is \(length)")
            }
            expectedStart = chunk.start
        }
        let (offset, received) = try await store.appendToUpload(repository: name, id: id, expectedStart: expectedStart, body: request.body)
        metrics.received(received)
        return uploadProgress(.accepted, name, id, offset: offset)
    }

    /// `PUT ?digest=`: the last chunk (possibly empty), then verify and commit.
    func finishUpload(_ name: RepositoryName, _ rawID: String, _ request: Request) async throws -> Response {
        let id = try uploadID(rawID)
        guard let raw = request.uri.queryParameters.get("digest") else {
            throw RegistryError(.badRequest, .digestInvalid, "the digest query parameter is required to finish an upload")
        }
        let digest = try Digest(raw)
        let (_, received) = try await store.finishUpload(repository: name, id: id, digest: digest, body: request.body)
        metrics.received(received)
        return .empty(.created, headers: [
            .location: "/v2/\(name)/blobs/\(digest)",
            .dockerContentDigest: digest.string,
        ])
    }

    func cancelUpload(_ name: RepositoryName, _ rawID: String) async throws -> Response {
        let id = try uploadID(rawID)
        try await store.cancelUpload(repository: name, id: id)
        return .empty(.noContent)
    }

    /// The reply that tells a client where its upload is and how much it holds.
    private func uploadProgress(_ status: HTTPResponse.Status, _ name: RepositoryName, _ id: UploadID, offset: Int64) -> Response {
        .empty(status, headers: [
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
