import NIOCore
import SatelliteProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a bundle's tar stream entry by entry, from a file or a pipe, never holding more than
/// one chunk: each entry's content is taken whole (small files, with a limit) or streamed as
/// slices of the chunk read, without copying.
///
/// Takes regular files, skips directories and pax global headers, applies pax `path`/`size`
/// overrides; refuses links and devices. Names are used only to recognise entries, never as
/// paths to write to.
public final class BundleReader {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let size: Int64
    }

    private let descriptor: Int32
    private let closesDescriptor: Bool
    /// What was read and not yet taken. Each refill is a new buffer, so slices handed out stay
    /// valid (and unshared) while the next chunk is read.
    private var buffer = ByteBuffer()
    private var ended = false
    /// What is left of the current entry's content, and its padding.
    private var remaining: Int64 = 0
    private var padding: Int64 = 0
    static let chunk = 1 << 20

    /// `path`, or `-` for standard input.
    public init(path: String) throws(ReplicationError) {
        if path == "-" {
            descriptor = STDIN_FILENO
            closesDescriptor = false
        } else {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw ReplicationError(.storeError, "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            closesDescriptor = true
        }
    }

    deinit {
        if closesDescriptor { close(descriptor) }
    }

    /// The next entry; nil at the archive's end. What was left of the previous one is skipped.
    public func next() throws(ReplicationError) -> Entry? {
        var overrides: (path: String?, size: Int64?) = (nil, nil)
        while true {
            // The rest of the previous entry (or pax header), and its padding.
            try skip()
            var block = try take(TarHeader.blockSize)
            guard block.readableBytes == TarHeader.blockSize else {
                if block.readableBytes == 0 { return nil }
                throw ReplicationError(.invalidContent, "the bundle ends inside a header: it was cut short")
            }
            guard var header = try TarHeader.decode(block.readBytes(length: TarHeader.blockSize) ?? []) else {
                return nil
            }
            if let size = overrides.size { header.size = size }
            if let path = overrides.path { header.name = path }
            overrides = (nil, nil)
            guard let padded = header.paddedSize else {
                throw ReplicationError(
                    .invalidContent,
                    "entry '\(header.name.prefix(120))' claims \(header.size) bytes: the archive is damaged or forged")
            }
            remaining = header.size
            padding = padded - header.size
            switch header.kind {
            case .file:
                var name = header.name
                while name.hasPrefix("./") { name.removeFirst(2) }
                return Entry(name: name, size: header.size)
            case .directory, .paxGlobal:
                continue
            case .paxNext:
                overrides = try TarHeader.paxOverrides(try contents(limit: 1 << 20))
            case .other(let flag):
                throw ReplicationError(
                    .invalidContent,
                    """
                    entry '\(header.name)' is not a regular file (tar type '\(Character(Unicode.Scalar(flag)))'); \
                    a bundle holds none
                    """
                )
            }
        }
    }

    /// The current entry's whole content, refused above `limit` bytes.
    public func contents(limit: Int) throws(ReplicationError) -> [UInt8] {
        guard remaining <= Int64(limit) else {
            throw ReplicationError(.tooLarge, "an entry of \(remaining) bytes is larger than the \(limit) allowed")
        }
        var bytes = try take(Int(remaining))
        guard bytes.readableBytes == Int(remaining) else {
            throw ReplicationError(.invalidContent, "the bundle was cut short inside an entry")
        }
        remaining = 0
        return bytes.readBytes(length: bytes.readableBytes) ?? []
    }

    /// Streams the current entry's content to `receive`, a chunk at a time.
    public func stream(_ receive: (ByteBuffer) async throws -> Void) async throws {
        while remaining > 0 {
            let slice = try take(Int(min(remaining, Int64(Self.chunk))), atMostOneRead: true)
            guard slice.readableBytes > 0 else {
                throw ReplicationError(.invalidContent, "the bundle was cut short inside an entry")
            }
            remaining -= Int64(slice.readableBytes)
            try await receive(slice)
        }
    }

    private func skip() throws(ReplicationError) {
        var left = remaining + padding
        remaining = 0
        padding = 0
        while left > 0 {
            let skipped = try take(Int(min(left, Int64(Self.chunk))), atMostOneRead: true)
            guard skipped.readableBytes > 0 else {
                throw ReplicationError(.invalidContent, "the bundle was cut short inside an entry")
            }
            left -= Int64(skipped.readableBytes)
        }
    }

    /// Up to `count` bytes, fewer only at the end of the input; with `atMostOneRead`, whatever is
    /// buffered or one chunk's read gives (a stream takes what is there).
    private func take(_ count: Int, atMostOneRead: Bool = false) throws(ReplicationError) -> ByteBuffer {
        if buffer.readableBytes >= count || (atMostOneRead && buffer.readableBytes > 0) {
            return buffer.readSlice(length: min(count, buffer.readableBytes)) ?? ByteBuffer()
        }
        var out = buffer
        buffer = ByteBuffer()
        while out.readableBytes < count {
            guard try refill() else { break }
            if atMostOneRead && out.readableBytes == 0 {
                return buffer.readSlice(length: min(count, buffer.readableBytes)) ?? ByteBuffer()
            }
            let take = min(count - out.readableBytes, buffer.readableBytes)
            var piece = buffer.readSlice(length: take) ?? ByteBuffer()
            out.writeBuffer(&piece)
        }
        return out
    }

    /// Reads the next chunk into a fresh buffer; false at the end of the input.
    private func refill() throws(ReplicationError) -> Bool {
        guard !ended else { return false }
        var fresh = ByteBuffer()
        fresh.reserveCapacity(Self.chunk)
        let descriptor = self.descriptor
        while fresh.writableBytes > 0 {
            var failure: Int32 = 0
            let count = fresh.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { pointer -> Int in
                while true {
                    let n = read(descriptor, pointer.baseAddress, pointer.count)
                    if n >= 0 { return n }
                    if errno == EINTR { continue }
                    failure = errno
                    return 0
                }
            }
            if failure != 0 {
                throw ReplicationError(.storeError, "cannot read the bundle: \(String(cString: strerror(failure)))")
            }
            if count == 0 {
                ended = true
                break
            }
        }
        buffer = fresh
        return fresh.readableBytes > 0
    }
}
