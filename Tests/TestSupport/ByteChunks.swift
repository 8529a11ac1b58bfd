import NIOCore
import OCI

/// Bytes served as an async sequence of buffers, the shape request bodies have.
public struct ByteChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let buffers: [ByteBuffer]

    public init(_ bytes: [UInt8], chunkSize: Int = 64 * 1024) {
        buffers = stride(from: 0, to: bytes.count, by: Swift.max(chunkSize, 1)).map {
            ByteBuffer(bytes: bytes[$0..<Swift.min($0 + chunkSize, bytes.count)])
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        public mutating func next() async -> ByteBuffer? { remaining.popFirst() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: buffers[...]) }
}

/// One buffer served `count` times: a large body without holding it in memory.
public struct RepeatedChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let buffer: ByteBuffer
    let count: Int

    public init(_ buffer: ByteBuffer, count: Int) {
        self.buffer = buffer
        self.count = count
    }

    /// The digest of the whole body.
    public var digest: Digest {
        var hasher = DigestHasher(.sha256)
        for _ in 0..<count { buffer.withUnsafeReadableBytes { hasher.update($0) } }
        return hasher.finalize()
    }

    public var totalBytes: Int { buffer.readableBytes * count }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: ByteBuffer
        var remaining: Int
        public mutating func next() async -> ByteBuffer? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            return buffer
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer, remaining: count) }
}

/// Deterministic pseudo-random bytes, different for every seed.
public func patternBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}
