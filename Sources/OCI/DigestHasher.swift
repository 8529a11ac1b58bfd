import Crypto

/// Incremental hashing for a digest algorithm, fed as bytes arrive. A SHA-256 hash can be saved
/// and resumed (`savedState`, `init(resuming:)`).
///
/// `@unchecked Sendable`: swift-crypto's hash functions are copy-on-write values without shared
/// mutable state, but are not marked Sendable.
public struct DigestHasher: @unchecked Sendable {
    private enum State {
        case sha256(ResumableSHA256)
        case sha512(SHA512)
    }

    private var state: State
    /// The algorithm this hasher computes.
    public let algorithm: Digest.Algorithm

    /// Starts a hash of the given algorithm.
    public init(_ algorithm: Digest.Algorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .sha256: state = .sha256(ResumableSHA256())
        case .sha512: state = .sha512(SHA512())
        }
    }

    /// Feeds bytes into the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .sha256(var h):
            h.update(bufferPointer: bytes)
            state = .sha256(h)
        case .sha512(var h):
            h.update(bufferPointer: bytes)
            state = .sha512(h)
        }
    }

    /// Feeds a byte collection into the hash.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// Continues a SHA-256 hash from `ResumableSHA256.saved()` bytes; nil when they are not a
    /// valid state.
    public init?(resuming saved: some Collection<UInt8>) {
        guard let hash = ResumableSHA256(saved: saved) else { return nil }
        algorithm = .sha256
        state = .sha256(hash)
    }

    /// The running state to resume from after a restart, with the number of bytes it covers;
    /// nil for algorithms whose state cannot be saved.
    public var savedState: (bytes: [UInt8], count: Int64)? {
        switch state {
        case .sha256(let h): (h.saved(), h.count)
        case .sha512: nil
        }
    }

    /// The digest of everything fed so far.
    public func finalize() -> Digest {
        switch state {
        case .sha256(let h): Digest(algorithm: .sha256, hashBytes: h.finalize())
        case .sha512(let h): Digest(algorithm: .sha512, hashBytes: h.finalize())
        }
    }

    /// The digest of a complete byte collection.
    public static func digest(of bytes: some Collection<UInt8>, algorithm: Digest.Algorithm = .sha256) -> Digest {
        var hasher = DigestHasher(algorithm)
        hasher.update(bytes)
        return hasher.finalize()
    }
}
