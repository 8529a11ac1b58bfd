import NIOCore
import OCI
import RegistryClient
import RegistryServer
import RegistryStore
import Synchronization

/// A blob being pulled through: the download's sink, written into the store's ingest file, and
/// the `ArrivingBlob` every client that asks meanwhile reads back from that file.
///
/// The file is the one buffer: a client joining half-way reads what is on disk, then waits for
/// the rest, and no client holds bytes in memory for another.
final class BlobArrival: ArrivingBlob, BlobSink, @unchecked Sendable {
    /// How it ended.
    enum Outcome {
        /// Committed to the store, or found there: read it from the store.
        case stored
        /// Its digest matched; the store is still making it durable. Every byte may be sent.
        case verified
        case failed(any Error)
    }

    /// What a client learns first: how long the blob is, or that it has already ended.
    enum Announcement {
        case size(Int64)
        /// Ended before its length was known (an answer without one): read the store.
        case stored
    }

    private struct Progress {
        var size: Int64?
        var reader: BlobReader?
        /// Bytes in the file.
        var onDisk: Int64 = 0
        var outcome: Outcome?
        /// Repositories of clients that joined: linked to the blob once it is committed.
        var linkAfterwards: Set<String> = []
        var linking = true
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let digest: Digest
    private let progress = Mutex(Progress())
    /// Set before the download starts; touched by the downloading task only.
    private var ingest: BlobIngest?
    private var received: (@Sendable (Int64) -> Void)?

    init(digest: Digest) {
        self.digest = digest
    }

    /// Writes the download into `ingest`, made with `reached` as its `onWritten`. `received`
    /// hears the length of every piece the upstream sends.
    func begin(_ ingest: BlobIngest, received: @escaping @Sendable (Int64) -> Void) {
        self.ingest = ingest
        self.received = received
    }

    // MARK: The download's side

    var offset: Int64 { ingest?.offset ?? 0 }

    func receive(_ buffer: ByteBuffer) async throws {
        guard let ingest else { return }
        received?(Int64(buffer.readableBytes))
        do { try await ingest.append(buffer) } catch { throw SinkError(error) }
    }

    func restart() async throws {
        guard let ingest else { return }
        do { try await ingest.restart() } catch { throw SinkError(error) }
    }

    func expect(size: Int64) async throws {
        guard let ingest, progress.withLock({ $0.size == nil }) else { return }
        let reader: BlobReader
        do { reader = try ingest.openReader(size: size) } catch { throw SinkError(error) }
        update {
            $0.size = size; $0.reader = reader
        }
    }

    func reached(_ inFile: Int64) {
        update { $0.onDisk = inFile }
    }

    /// The download is over. A committed blob whose length is not what was announced fails its
    /// streams (they sent the wrong length); the store's copy is right and serves the next try.
    func end(_ outcome: Outcome) {
        update { progress in
            switch (progress.outcome, outcome) {
            case (.verified?, .failed) where progress.size != nil:
                // The streams' bytes matched; only the store's copy failed. They end whole.
                return
            case (_, .failed):
                progress.outcome = outcome
            default:
                if let size = progress.size, let held = ingest?.offset, held != size {
                    progress.outcome = .failed(
                        StoreError(.sizeMismatch, "blob \(digest) was announced as \(size) bytes and holds \(held)"))
                } else {
                    progress.outcome = outcome
                }
            }
        }
    }

    /// Takes the repositories that joined, to link them; later joiners link themselves.
    func takeLinks() -> Set<String> {
        progress.withLock { progress in
            progress.linking = false
            return progress.linkAfterwards
        }
    }

    private func update(_ change: (inout Progress) -> Void) {
        let waiters = progress.withLock { progress in
            change(&progress)
            defer { progress.waiters = [] }
            return progress.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: The clients' side

    /// Waits for the blob's length, or its end. Throws when the download failed first.
    func announcement() async throws -> Announcement {
        try await wait { progress throws -> Announcement? in
            if let size = progress.size, progress.reader != nil { return .size(size) }
            switch progress.outcome {
            case .failed(let error): throw error
            case .stored: return .stored
            case .verified, nil: return nil
            }
        }
    }

    /// Asks for `repository` to be linked to the blob once committed; false when linking is
    /// over (the blob is committed) and the caller must link it itself.
    func link(_ repository: RepositoryName) -> Bool {
        progress.withLock { progress in
            guard progress.linking else { return false }
            progress.linkAfterwards.insert(repository.value)
            return true
        }
    }

    var size: Int64 { progress.withLock { $0.size ?? 0 } }

    func released(beyond offset: Int64) async throws -> Int64 {
        try await wait { progress throws -> Int64? in
            guard let size = progress.size else { return nil }
            let limit: Int64
            switch progress.outcome {
            case .failed(let error): throw error
            case .stored, .verified: limit = size
            case nil: limit = min(progress.onDisk, size - 1)
            }
            return limit > offset ? limit : nil
        }
    }

    func reader() throws -> BlobReader {
        guard let reader = progress.withLock({ $0.reader }) else {
            throw StoreError(.io, "blob \(digest) is read before its length is known")
        }
        return reader
    }

    /// Returns what `check` finds once it finds something (nil: not yet), re-checking at every
    /// change.
    private func wait<T>(_ check: (Progress) throws -> T?) async throws -> T {
        while true {
            if let found = try progress.withLock({ try check($0) }) { return found }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = progress.withLock { progress -> Bool in
                    // Something found, or a failure: the loop above returns it.
                    if (try? check(progress)) == nil {
                        progress.waiters.append(continuation)
                        return false
                    }
                    return true
                }
                if ready { continuation.resume() }
            }
        }
    }
}

/// The blobs arriving now, by digest: a client asking for one joins it.
actor BlobArrivals {
    private var arriving: [Digest: BlobArrival] = [:]

    /// The arrival of `digest`, and whether the caller must start it.
    func join(_ digest: Digest) -> (arrival: BlobArrival, started: Bool) {
        if let existing = arriving[digest] { return (existing, false) }
        let arrival = BlobArrival(digest: digest)
        arriving[digest] = arrival
        return (arrival, true)
    }

    func remove(_ digest: Digest) {
        arriving[digest] = nil
    }

    var count: Int { arriving.count }
}
