import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import OCI

/// A manifest as fetched: its exact bytes, media type and digest (verified).
public struct RemoteManifest: Sendable, Equatable {
    public let bytes: [UInt8]
    public let mediaType: String
    public let digest: Digest

    init(bytes: [UInt8], mediaType: String, digest: Digest) {
        self.bytes = bytes
        self.mediaType = mediaType
        self.digest = digest
    }

    /// A manifest from any other source: its digest is computed from the bytes.
    public init(bytes: [UInt8], mediaType: String, algorithm: Digest.Algorithm = .sha256) {
        self.init(bytes: bytes, mediaType: mediaType, digest: DigestHasher.digest(of: bytes, algorithm: algorithm))
    }
}

extension RegistryClient {
    /// Every manifest type we store, for `Accept`.
    static let manifestAccept = [
        MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest,
    ].joined(separator: ", ")

    /// The largest manifest accepted from an upstream.
    static let maxManifestBytes = 4 * 1024 * 1024

    /// Resolves a tag to the digest it points at, with one `HEAD` request.
    public func resolve(_ repository: RepositoryName, tag: Tag) async throws(ClientError) -> Digest {
        let response = try await send(
            .HEAD, "/v2/\(repository)/manifests/\(tag)", headers: ["Accept": Self.manifestAccept],
            repository: repository)
        try Self.check(response, "\(repository):\(tag)")
        if let header = response.headers.first(name: "Docker-Content-Digest"), let digest = try? Digest(header) {
            return digest
        }
        // A registry that omits the header on HEAD: fetch and hash.
        return try await manifest(repository, reference: .tag(tag)).digest
    }

    /// Fetches a manifest by tag or digest; by digest, the bytes must hash to it.
    public func manifest(_ repository: RepositoryName, reference: Reference) async throws(ClientError) -> RemoteManifest
    {
        let response = try await send(
            .GET, "/v2/\(repository)/manifests/\(reference)", headers: ["Accept": Self.manifestAccept],
            repository: repository)
        try Self.check(response, "\(repository):\(reference)")
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maxManifestBytes)
        } catch is NIOTooManyBytesError {
            throw ClientError(.tooLarge, "manifest \(repository):\(reference) is larger than 4 MiB")
        } catch {
            throw ClientError(.network, "manifest \(repository):\(reference) was cut off: \(error)")
        }
        countReceived(body.readableBytes)
        let bytes = Array(body.readableBytesView)
        let algorithm: Digest.Algorithm
        if case .digest(let expected) = reference { algorithm = expected.algorithm } else { algorithm = .sha256 }
        let digest = DigestHasher.digest(of: bytes, algorithm: algorithm)
        if case .digest(let expected) = reference, expected != digest {
            throw ClientError(.digestMismatch, "manifest \(repository)@\(expected) arrived with digest \(digest)")
        }
        let declared = response.headers.first(name: "Content-Type").map(MediaType.essence)
        let mediaType =
            (try? ParsedManifest(bytes: bytes, contentType: nil).mediaType) ?? declared ?? MediaType.ociManifest
        return RemoteManifest(bytes: bytes, mediaType: mediaType, digest: digest)
    }

    /// Streams a blob into `sink`, resuming with `Range` where a dropped connection left off.
    ///
    /// `sink.offset` says how many bytes it holds; `receive` appends; `restart` empties it when
    /// the registry will not resume. The caller verifies the digest when the sink commits.
    public func download<Sink: BlobSink>(
        _ repository: RepositoryName, digest: Digest, size: Int64?, into sink: Sink
    ) async throws {
        var attempt = 0
        // A blob's reply starts at once on a healthy link: waiting longer than a stall for it
        // means the request went out on a connection that died with a cut.
        let headTimeout = min(configuration.responseTimeout, configuration.stallTimeout)
        while true {
            let start = sink.offset
            if let size, start >= size { return }
            var headers: HTTPHeaders = [:]
            if start > 0 { headers.add(name: "Range", value: "bytes=\(start)-") }
            do {
                let response = try await send(
                    .GET, "/v2/\(repository)/blobs/\(digest)", headers: headers, repository: repository,
                    timeout: headTimeout)
                if response.status == .ok, start > 0 {
                    // The registry ignored Range: start over from the first byte.
                    try await sink.restart()
                } else if response.status != .partialContent || start == 0 {
                    try Self.check(response, "blob \(digest) in \(repository)")
                }
                if let announced = Self.blobLength(response) { try await sink.expect(size: announced) }
                // The sink is used by the reading task alone while this one waits for it.
                let exclusive = ExclusiveSink(sink: sink)
                try await withStallWatch(configuration.stallTimeout, what: "blob \(digest)") { watch in
                    watch.waiting()
                    for try await buffer in response.body {
                        watch.arrived()
                        self.countReceived(buffer.readableBytes)
                        try await exclusive.sink.receive(buffer)
                        watch.waiting()
                    }
                    watch.arrived()
                }
                if let size, sink.offset < size {
                    throw ClientError(.network, "blob \(digest) ended after \(sink.offset) of \(size) bytes")
                }
                return
            } catch let error as SinkError {
                throw error.underlying
            } catch let error as ClientError where error.code != .network {
                throw error
            } catch {
                attempt += 1
                guard attempt < configuration.retry.attempts else {
                    throw ClientError(
                        .network, "blob \(digest) from \(repository) kept failing at byte \(sink.offset): \(error)")
                }
                logger.info(
                    "resuming blob download",
                    metadata: ["digest": "\(digest)", "offset": "\(sink.offset)", "reason": "\(error)"])
                try await pause(configuration.retry.delay(beforeRetry: attempt))
            }
        }
    }

    /// The manifests that refer to `digest`: the referrers API, or the `<alg>-<hex>` tag schema
    /// for registries without it.
    public func referrers(_ repository: RepositoryName, of digest: Digest) async throws(ClientError) -> [Descriptor] {
        let response = try await send(
            .GET, "/v2/\(repository)/referrers/\(digest)", headers: ["Accept": MediaType.ociIndex],
            repository: repository)
        if response.status == .ok {
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: Self.maxManifestBytes)
            } catch {
                throw ClientError(.invalidResponse, "referrers of \(digest) too large or cut off")
            }
            guard let index = try? JSONDecoder().decode(ImageIndex.self, from: Data(buffer: body)) else {
                throw ClientError(.invalidResponse, "referrers of \(digest) in \(repository) is not an image index")
            }
            return index.manifests
        }
        guard response.status == .notFound || response.status == .methodNotAllowed else {
            try Self.check(response, "referrers of \(digest)")
            return []
        }
        // Fallback: the tag schema, an index tagged with the subject's digest.
        do {
            let tag = try Tag(digest.tagSchemaForm)
            let index = try await manifest(repository, reference: .tag(tag))
            guard let parsed = try? ParsedManifest(bytes: index.bytes, contentType: index.mediaType),
                parsed.kind == .index
            else {
                return []
            }
            return parsed.manifests
        } catch let error as ClientError where error.code == .notFound {
            return []
        } catch let error as ClientError {
            throw error
        } catch {
            return []
        }
    }

    /// The whole blob's length as a 200's `Content-Length` or a 206's `Content-Range` gives it.
    static func blobLength(_ response: HTTPClientResponse) -> Int64? {
        let length: Int64?
        switch response.status {
        case .ok: length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        case .partialContent:
            length = response.headers.first(name: "Content-Range")?.split(separator: "/").last.flatMap { Int64($0) }
        default: length = nil
        }
        return length.flatMap { $0 >= 0 ? $0 : nil }
    }

    /// Throws for any status but 200 and 206, naming what was asked for.
    static func check(_ response: HTTPClientResponse, _ what: String) throws(ClientError) {
        switch response.status.code {
        case 200, 206: return
        case 401: throw ClientError(.unauthorized, "\(what): the upstream wants credentials it accepts (401)")
        case 403: throw ClientError(.forbidden, "\(what): access denied (403)")
        case 404: throw ClientError(.notFound, "\(what): not found upstream")
        default:
            throw ClientError(
                .unexpectedStatus(Int(response.status.code)), "\(what): upstream answered \(response.status.code)")
        }
    }
}

/// Hands a sink to the one task that reads a body while its owner waits.
private struct ExclusiveSink<Sink: BlobSink>: @unchecked Sendable {
    let sink: Sink
}

/// Where a download's bytes go: the store's ingest session, or anything that can take them in order.
public protocol BlobSink: AnyObject {
    /// Bytes held so far.
    var offset: Int64 { get }
    /// Appends the next bytes (and may pause, to limit bandwidth).
    func receive(_ buffer: ByteBuffer) async throws
    /// Empties the sink to start over.
    func restart() async throws
    /// The length the upstream announced for the whole blob, before its bytes (once per answer).
    /// Its digest still decides whether the bytes are right.
    func expect(size: Int64) async throws
}

extension BlobSink {
    public func expect(size: Int64) async throws {}
}

/// A failure of the sink itself (disk), which must not be retried as a network error.
public struct SinkError: Error {
    public let underlying: any Error
    public init(_ underlying: any Error) { self.underlying = underlying }
}
