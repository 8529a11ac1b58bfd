import SatelliteProtocol

/// One 512-byte tar header (POSIX ustar), the part of the format bundles use: regular files,
/// written with their size up front, so a blob can follow its header as it streams in.
///
/// Sizes from 8 GiB up are written in base-256 (the GNU extension every tar reader knows);
/// reading also takes pax extended headers (`path`, `size`), as other tools write them.
package struct TarHeader: Equatable {
    package static let blockSize = 512
    /// The largest entry read (1 PiB): every size arithmetic on an entry stays far from overflow,
    /// whatever a header claims.
    package static let largestSize: Int64 = 1 << 50

    package enum Kind: Equatable {
        case file
        case directory
        /// A pax extended header for the next entry (`x`) or for all that follow (`g`).
        case paxNext
        case paxGlobal
        /// Anything else (links, devices): a bundle holds none.
        case other(UInt8)
    }

    package var name: String
    package var size: Int64
    package var kind: Kind = .file

    package init(name: String, size: Int64, kind: Kind = .file) {
        self.name = name
        self.size = size
        self.kind = kind
    }

    /// Blocks the entry's content takes, padding included; nil for a size no bundle can have.
    package var paddedSize: Int64? {
        guard (0...Self.largestSize).contains(size) else { return nil }
        let block = Int64(Self.blockSize)
        return (size + block - 1) / block * block
    }

    /// A size read from a header or a pax record, refused past `largestSize`.
    static func checkedSize(_ size: Int64, of name: String) throws(ReplicationError) -> Int64 {
        guard (0...largestSize).contains(size) else {
            throw ReplicationError(
                .invalidContent,
                """
                entry '\(name.prefix(120))' claims \(size) bytes, more than any bundle holds: the archive is \
                damaged or forged
                """
            )
        }
        return size
    }

    /// The header block. Names up to 100 bytes go in `name`; up to 255 are split at a `/` into
    /// `prefix` and `name`.
    package func encoded() throws(ReplicationError) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        let utf8 = Array(name.utf8)
        if utf8.count <= 100 {
            block.replaceSubrange(0..<utf8.count, with: utf8)
        } else if let split = Self.prefixSplit(utf8) {
            let prefix = utf8[..<split], rest = utf8[(split + 1)...]
            block.replaceSubrange(0..<rest.count, with: rest)
            block.replaceSubrange(345..<(345 + prefix.count), with: prefix)
        } else {
            throw ReplicationError(.invalidContent, "entry name '\(name)' is too long for a tar header")
        }
        Self.octal(kind == .directory ? 0o755 : 0o644, into: &block, at: 100, width: 8)
        Self.octal(0, into: &block, at: 108, width: 8)
        Self.octal(0, into: &block, at: 116, width: 8)
        if size < 0o77777777777 {
            Self.octal(size, into: &block, at: 124, width: 12)
        } else {
            block[124] = 0x80
            var remaining = UInt64(size)
            for index in stride(from: 135, to: 124, by: -1) {
                block[index] = UInt8(remaining & 0xff)
                remaining >>= 8
            }
        }
        Self.octal(0, into: &block, at: 136, width: 12)
        block[156] = kind == .directory ? UInt8(ascii: "5") : UInt8(ascii: "0")
        block.replaceSubrange(257..<263, with: Array("ustar\0".utf8))
        block.replaceSubrange(263..<265, with: Array("00".utf8))
        // The checksum is taken with its own field as spaces.
        block.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
        let sum = block.reduce(0) { $0 + Int64($1) }
        Self.octal(sum, into: &block, at: 148, width: 7)
        block[155] = 0x20
        return block
    }

    /// Reads a header block; nil for an all-zero block (the archive's end).
    package static func decode(_ block: some RandomAccessCollection<UInt8>) throws(ReplicationError) -> TarHeader? {
        let block = Array(block)
        guard block.count == blockSize else {
            throw ReplicationError(.invalidContent, "the archive ends inside a header")
        }
        if block.allSatisfy({ $0 == 0 }) { return nil }
        var unsigned: Int64 = 0
        for (index, byte) in block.enumerated() { unsigned += Int64((148..<156).contains(index) ? 0x20 : byte) }
        guard let stored = octalValue(block[148..<156]), stored == unsigned else {
            throw ReplicationError(.invalidContent, "a tar header's checksum does not match: the archive is damaged")
        }
        var name = string(block[0..<100])
        if block[257..<262].elementsEqual("ustar".utf8) {
            let prefix = string(block[345..<500])
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        let size: Int64
        if block[124] & 0x80 != 0 {
            var value: Int64 = 0
            for byte in block[125..<136] {
                guard value < Int64.max >> 8 else {
                    throw ReplicationError(.invalidContent, "entry '\(name)' has an impossible size")
                }
                value = value << 8 | Int64(byte)
            }
            size = value
        } else {
            guard let value = octalValue(block[124..<136]) else {
                throw ReplicationError(.invalidContent, "entry '\(name)' has an unreadable size")
            }
            size = value
        }
        let kind: Kind
        switch block[156] {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .file
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "x"): kind = .paxNext
        case UInt8(ascii: "g"): kind = .paxGlobal
        case let other: kind = .other(other)
        }
        return TarHeader(name: name, size: try checkedSize(size, of: name), kind: kind)
    }

    /// The `path` and `size` a pax extended header sets (records: "<length> <key>=<value>\n").
    package static func paxOverrides(_ bytes: [UInt8]) throws(ReplicationError) -> (path: String?, size: Int64?) {
        var path: String?, size: Int64?
        var rest = bytes[...]
        while !rest.isEmpty {
            // A record is at least its length, a space, one byte of key and value, and a newline.
            guard let space = rest.firstIndex(of: 0x20),
                let length = Int(String(decoding: rest[rest.startIndex..<space], as: UTF8.self)),
                length >= space - rest.startIndex + 2, rest.count >= length, rest[rest.startIndex + length - 1] == 0x0A
            else { throw ReplicationError(.invalidContent, "a pax header is malformed") }
            let record = rest[(space + 1)..<(rest.startIndex + length - 1)]
            rest = rest[(rest.startIndex + length)...]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else {
                throw ReplicationError(.invalidContent, "a pax record has no '='")
            }
            let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
            let value = String(decoding: record[(equals + 1)...], as: UTF8.self)
            switch key {
            case "path": path = value
            case "size":
                guard let parsed = Int64(value), parsed >= 0 else {
                    throw ReplicationError(.invalidContent, "a pax size is not a number")
                }
                size = try checkedSize(parsed, of: path ?? "a pax header")
            default: continue
            }
        }
        return (path, size)
    }

    private static func prefixSplit(_ name: [UInt8]) -> Int? {
        // The last `/` that leaves at most 155 bytes before it and 100 after it.
        for index in name.indices.reversed() where name[index] == UInt8(ascii: "/") {
            if index <= 155 && name.count - index - 1 <= 100 && name.count - index - 1 > 0 { return index }
        }
        return nil
    }

    private static func octal(_ value: Int64, into block: inout [UInt8], at offset: Int, width: Int) {
        let digits = Array(String(value, radix: 8).utf8)
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, width - 1 - digits.count)) + digits
        block.replaceSubrange(offset..<(offset + width - 1), with: padded)
        block[offset + width - 1] = 0
    }

    private static func octalValue(_ field: ArraySlice<UInt8>) -> Int64? {
        var value: Int64 = 0
        var seen = false
        for byte in field {
            if byte == 0 || byte == 0x20 {
                if seen { break } else { continue }
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte), value < Int64.max >> 3 else { return nil }
            value = value << 3 | Int64(byte - UInt8(ascii: "0"))
            seen = true
        }
        return value
    }

    private static func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }
}
