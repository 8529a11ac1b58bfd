import NIOCore
import OCI
import RegistryClient
import RegistryStore
import SatelliteProtocol
import StateContent

extension RegistryStore: ReplicaStore {
    public func ingest(
        _ digest: Digest, into repository: RepositoryName, _ receive: (any BlobSink) async throws -> Void
    ) async throws {
        try await ingestBlob(digest, into: repository) { ingest in try await receive(IngestSink(ingest)) }
    }

    public func putManifest(
        _ manifest: RemoteManifest, in repository: RepositoryName, requireChildren: Bool
    ) async throws {
        _ = try await putManifest(
            repository: repository, reference: .digest(manifest.digest), bytes: manifest.bytes,
            contentType: manifest.mediaType, requireChildManifests: requireChildren)
    }

    public func smallBlob(_ digest: Digest, limit: Int) async throws -> [UInt8]? {
        guard let size = try await heldBlobSize(digest), size <= Int64(limit) else { return nil }
        let reader = try await openHeldBlob(digest)
        var bytes: [UInt8] = []
        var buffer = ByteBuffer()
        while Int64(bytes.count) < size {
            try reader.read(at: Int64(bytes.count), maxLength: Int(size) - bytes.count, into: &buffer)
            guard buffer.readableBytes > 0 else { break }
            bytes += buffer.readableBytesView
        }
        return bytes
    }

    public func tags() async throws -> [TagReference: Digest] {
        var tags: [TagReference: Digest] = [:]
        for entry in try await allTags() {
            tags[TagReference(repository: entry.repository, tag: entry.tag)] = try Digest(entry.digest)
        }
        return tags
    }
}

/// The store's ingest session as a download's sink.
final class IngestSink: BlobSink {
    let ingest: BlobIngest
    init(_ ingest: BlobIngest) { self.ingest = ingest }

    var offset: Int64 { ingest.offset }

    func receive(_ buffer: ByteBuffer) async throws {
        do {
            try await ingest.append(buffer)
        } catch {
            throw SinkError(error)
        }
    }

    func restart() async throws {
        do {
            try await ingest.restart()
        } catch {
            throw SinkError(error)
        }
    }
}

extension StoreError: ReplicationFailure {
    public var replicationError: ReplicationError {
        let reason: FailureReason =
            switch code {
            case .digestMismatch: .digestMismatch
            case .sizeMismatch, .tooLarge: .tooLarge
            case .diskFull: .diskFull
            case .invalid, .manifestBlobUnknown: .invalidContent
            default: .storeError
            }
        return ReplicationError(reason, message)
    }
}
