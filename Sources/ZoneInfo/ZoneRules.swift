/// A time zone's offsets from UTC over time: the transitions of its TZif file (RFC 8536) and the
/// rule its footer gives for every time after the last of them.
public struct ZoneRules: Sendable, Equatable {
    public let name: String
    /// Instants (seconds since the epoch) at which the offset changes, ascending, each with the
    /// offset (seconds east of UTC) from then on.
    let transitions: [(at: Int64, offset: Int64)]
    /// The offset before the first transition.
    let initialOffset: Int64
    /// After the last transition; the last transition's offset stays when absent.
    let footer: PosixZoneRule?

    public static func == (left: ZoneRules, right: ZoneRules) -> Bool {
        left.name == right.name && left.initialOffset == right.initialOffset && left.footer == right.footer
            && left.transitions.elementsEqual(right.transitions) { $0.at == $1.at && $0.offset == $1.offset }
    }

    /// A zone that is always `offset` seconds east of UTC (`UTC` itself, which needs no database).
    public static func fixed(_ name: String, offset: Int64) -> ZoneRules {
        ZoneRules(name: name, transitions: [], initialOffset: offset, footer: nil)
    }

    /// Seconds east of UTC at `instant` (seconds since the epoch).
    public func offset(at instant: Int64) -> Int64 {
        guard let first = transitions.first, instant >= first.at else { return initialOffset }
        if let last = transitions.last, instant >= last.at {
            return footer?.offset(at: instant) ?? last.offset
        }
        // The last transition at or before the instant.
        var low = 0
        var high = transitions.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if transitions[middle].at <= instant { low = middle } else { high = middle - 1 }
        }
        return transitions[low].offset
    }
}

extension ZoneRules {
    /// Reads a TZif file (versions 1 to 4). Version 2 and later carry 64-bit times and a footer,
    /// which are used; version 1 data is read only when nothing else is there.
    public init(tzif bytes: [UInt8], name: String) throws(ZoneInfoError) {
        func invalid(_ reason: String) -> ZoneInfoError { .invalidFile(name, reason: reason) }
        var reader = BigEndianReader(bytes)
        guard let first = reader.header() else { throw invalid("it does not start with a TZif header") }
        guard first.version >= 2 else {
            guard let block = reader.block(first, timeSize: 4) else { throw invalid("its data is cut short") }
            try self.init(name: name, block: block, footer: nil)
            return
        }
        guard reader.skip(first.dataLength(timeSize: 4)), let second = reader.header(),
            let block = reader.block(second, timeSize: 8)
        else { throw invalid("its 64-bit data is cut short") }
        guard let footerText = reader.footer() else { throw invalid("its footer is not terminated") }
        var footer: PosixZoneRule?
        if !footerText.isEmpty {
            guard let rule = PosixZoneRule(footerText) else {
                throw invalid("its footer '\(footerText)' is not a TZ rule this code reads")
            }
            footer = rule
        }
        try self.init(name: name, block: block, footer: footer)
    }

    private init(name: String, block: TZifBlock, footer: PosixZoneRule?) throws(ZoneInfoError) {
        guard !block.offsets.isEmpty, block.indices.allSatisfy({ Int($0) < block.offsets.count }) else {
            throw .invalidFile(name, reason: "a transition names a local time type that is not there")
        }
        guard zip(block.times, block.times.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw .invalidFile(name, reason: "its transitions are not in ascending order")
        }
        self.name = name
        transitions = zip(block.times, block.indices).map { ($0, block.offsets[Int($1)]) }
        initialOffset = block.offsets[0]
        self.footer = footer
    }
}

/// What one TZif header announces.
private struct TZifHeader {
    let version: Int
    let isUTCCount, isStandardCount, leapCount, timeCount, typeCount, characterCount: Int

    func dataLength(timeSize: Int) -> Int {
        timeCount * timeSize + timeCount + typeCount * 6 + characterCount + leapCount * (timeSize + 4)
            + isStandardCount + isUTCCount
    }
}

/// The parts of one TZif data block this code uses.
private struct TZifBlock {
    var times: [Int64] = []
    var indices: [UInt8] = []
    /// Each local time type's offset, seconds east of UTC.
    var offsets: [Int64] = []
}

private struct BigEndianReader {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= bytes.count - index else { return false }
        index += count
        return true
    }

    mutating func integer(size: Int) -> Int64? {
        guard size <= bytes.count - index else { return nil }
        var value: UInt64 = 0
        for byte in bytes[index..<index + size] { value = value << 8 | UInt64(byte) }
        index += size
        // Sign-extended from its width.
        let shift = UInt64(64 - size * 8)
        return Int64(bitPattern: value << shift) >> shift
    }

    mutating func header() -> TZifHeader? {
        guard bytes.count - index >= 44, bytes[index..<index + 4].elementsEqual("TZif".utf8) else { return nil }
        let versionByte = bytes[index + 4]
        let version = versionByte == 0 ? 1 : Int(versionByte) - Int(UInt8(ascii: "0"))
        guard (1...9).contains(version), skip(20) else { return nil }
        var counts: [Int] = []
        for _ in 0..<6 {
            // Each count is far below 2^31 in any real file; larger ones fail the length checks.
            guard let count = integer(size: 4), count >= 0, count < 1 << 24 else { return nil }
            counts.append(Int(count))
        }
        return TZifHeader(
            version: version, isUTCCount: counts[0], isStandardCount: counts[1], leapCount: counts[2],
            timeCount: counts[3], typeCount: counts[4], characterCount: counts[5])
    }

    mutating func block(_ header: TZifHeader, timeSize: Int) -> TZifBlock? {
        guard header.typeCount >= 1, header.dataLength(timeSize: timeSize) <= bytes.count - index else { return nil }
        var block = TZifBlock()
        for _ in 0..<header.timeCount {
            guard let time = integer(size: timeSize) else { return nil }
            block.times.append(time)
        }
        block.indices = Array(bytes[index..<index + header.timeCount])
        index += header.timeCount
        for _ in 0..<header.typeCount {
            guard let offset = integer(size: 4), skip(2) else { return nil }
            block.offsets.append(offset)
        }
        let rest =
            header.characterCount + header.leapCount * (timeSize + 4) + header.isStandardCount
            + header.isUTCCount
        return skip(rest) ? block : nil
    }

    /// The text between the two newlines that close a version 2+ file.
    mutating func footer() -> String? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\n") else { return nil }
        let start = index + 1
        guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        index = end + 1
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
