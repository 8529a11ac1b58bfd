import Foundation
import NIOCore

/// Reads a bundle's tar stream entry by entry, from a file or a pipe, never holding more than
/// one chunk: each entry's content is taken whole (small files, with a limit) or streamed.
///
/// Takes regular files, skips directories and pax global headers, applies pax `path`/`size`
/// overrides; refuses links and devices. Names are used only to recognise entries, never as
/// paths to write to.
public final class BundleReader {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let size: Int64
    }

    private let handle: FileHandle
    private let closesHandle: Bool
    private var buffer: [UInt8] = []
    private var position = 0
    /// What is left of the current entry's content, and its padding.
    private var remaining: Int64 = 0
    private var padding: Int64 = 0
    public private(set) var bytesRead: Int64 = 0
    static let chunk = 1 << 20

    /// `path`, or `-` for standard input.
    public init(path: String) throws(BundleError) {
        if path == "-" {
            handle = FileHandle.standardInput
            closesHandle = false
        } else {
            guard let opened = FileHandle(forReadingAtPath: path) else { throw BundleError("cannot open \(path)") }
            handle = opened
            closesHandle = true
        }
    }

    deinit {
        if closesHandle { try? handle.close() }
    }

    /// The next entry; nil at the archive's end. What was left of the previous one is skipped.
    public func next() throws(BundleError) -> Entry? {
        try skip()
        var overrides: (path: String?, size: Int64?) = (nil, nil)
        while true {
            let block = try take(TarHeader.blockSize)
            guard block.count == TarHeader.blockSize else {
                if block.isEmpty { return nil }
                throw BundleError("the bundle ends inside a header: it was cut short")
            }
            guard var header = try TarHeader.decode(block) else { return nil }
            if let size = overrides.size { header.size = size }
            if let path = overrides.path { header.name = path }
            overrides = (nil, nil)
            begin(header)
            switch header.kind {
            case .file:
                var name = header.name
                while name.hasPrefix("./") { name.removeFirst(2) }
                return Entry(name: name, size: header.size)
            case .directory, .paxGlobal:
                try skip()
            case .paxNext:
                overrides = try TarHeader.paxOverrides(try contents(limit: 1 << 20))
            case .other(let flag):
                throw BundleError("entry '\(header.name)' is not a regular file (tar type '\(Character(Unicode.Scalar(flag)))'); a bundle holds none")
            }
        }
    }

    /// The current entry's whole content, refused above `limit` bytes.
    public func contents(limit: Int) throws(BundleError) -> [UInt8] {
        guard remaining <= Int64(limit) else { throw BundleError("an entry of \(remaining) bytes is larger than the \(limit) allowed") }
        let bytes = try take(Int(remaining))
        guard bytes.count == Int(remaining) else { throw BundleError("the bundle was cut short inside an entry") }
        remaining = 0
        return bytes
    }

    /// Streams the current entry's content to `receive`, a chunk at a time.
    public func stream(_ receive: (ByteBuffer) async throws -> Void) async throws {
        while remaining > 0 {
            let bytes = try take(Int(min(remaining, Int64(Self.chunk))))
            guard !bytes.isEmpty else { throw BundleError("the bundle was cut short inside an entry") }
            remaining -= Int64(bytes.count)
            try await receive(ByteBuffer(bytes: bytes))
        }
    }

    private func begin(_ header: TarHeader) {
        remaining = header.size
        padding = header.paddedSize - header.size
    }

    private func skip() throws(BundleError) {
        var left = remaining + padding
        remaining = 0
        padding = 0
        while left > 0 {
            let bytes = try take(Int(min(left, Int64(Self.chunk))))
            guard !bytes.isEmpty else { throw BundleError("the bundle was cut short inside an entry") }
            left -= Int64(bytes.count)
        }
    }

    /// Up to `count` bytes; fewer only at the end of the input.
    private func take(_ count: Int) throws(BundleError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            if position == buffer.count {
                let data: Data?
                do {
                    data = try handle.read(upToCount: max(Self.chunk, count - out.count))
                } catch {
                    throw BundleError("cannot read the bundle: \(error)")
                }
                guard let data, !data.isEmpty else { break }
                buffer = Array(data)
                position = 0
            }
            let n = min(count - out.count, buffer.count - position)
            out.append(contentsOf: buffer[position..<(position + n)])
            position += n
        }
        bytesRead += Int64(out.count)
        return out
    }
}
