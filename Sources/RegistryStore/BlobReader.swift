import NIOCore
import OCI

/// An open blob, readable by range. The file stays readable even if garbage collection unlinks it.
public struct BlobReader: Sendable {
    let file: PosixFile
    /// The blob's digest.
    public let digest: Digest
    /// The blob's length in bytes.
    public let size: Int64

    /// Replaces the contents of `buffer` with up to `maxLength` bytes read at `offset`; an empty
    /// buffer means the end.
    ///
    /// Reusing one buffer keeps a blob stream from allocating (and page-faulting) a fresh chunk
    /// per read: once the channel has written the previous chunk, the buffer is uniquely owned
    /// again and is refilled in place; if not, copy-on-write gives it fresh storage.
    public func read(at offset: Int64, maxLength: Int, into buffer: inout ByteBuffer) throws(StoreError) {
        _ = try fill(&buffer, maxLength) { file, raw throws(StoreError) in try file.read(into: raw, at: offset) }
    }

    /// Like `read(at:maxLength:into:)`, but only from the page cache, so that it can run on an
    /// event loop: false, with `buffer` empty, when the bytes would have to come from the disk.
    public func readIfCached(at offset: Int64, maxLength: Int, into buffer: inout ByteBuffer) throws(StoreError) -> Bool
    {
        try fill(&buffer, maxLength) { file, raw throws(StoreError) in try file.readIfCached(into: raw, at: offset) }
    }

    /// Empties `buffer` and appends what `read` puts in its first `maxLength` writable bytes;
    /// false when `read` returns nil.
    private func fill(
        _ buffer: inout ByteBuffer, _ maxLength: Int,
        _ read: (PosixFile, UnsafeMutableRawBufferPointer) throws(StoreError) -> Int?
    ) throws(StoreError) -> Bool {
        buffer.clear(minimumCapacity: maxLength)
        let file = self.file
        var outcome: Result<Int?, StoreError> = .success(0)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maxLength) { raw in
            outcome = Result { () throws(StoreError) in
                try read(file, UnsafeMutableRawBufferPointer(rebasing: raw[0..<maxLength]))
            }
            return (try? outcome.get()) ?? 0
        }
        return try outcome.get() != nil
    }
}
