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
        buffer.clear(minimumCapacity: maxLength)
        let file = self.file
        var failure: StoreError?
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maxLength) { raw in
            do {
                return try file.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<maxLength]), at: offset)
            } catch let error as StoreError {
                failure = error
                return 0
            } catch {
                failure = StoreError(.io, "read failed: \(error)")
                return 0
            }
        }
        if let failure { throw failure }
    }
}
