import NIOCore
import OCI

/// An open blob, readable by range. The file stays readable even if garbage collection unlinks it.
public struct BlobReader: Sendable {
    let file: PosixFile
    /// The blob's digest.
    public let digest: Digest
    /// The blob's length in bytes.
    public let size: Int64

    /// Reads up to `maxLength` bytes at `offset` into a new buffer; an empty buffer means the end.
    public func read(at offset: Int64, maxLength: Int, allocator: ByteBufferAllocator) throws(StoreError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: maxLength)
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
        return buffer
    }
}
