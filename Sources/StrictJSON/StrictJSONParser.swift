/// RFC 8259 JSON, read the one way every client reads it: UTF-8 without a byte-order mark, no
/// duplicate keys at any depth, nothing after the value, nesting at most `maximumDepth` deep.
///
/// Parsers disagree on what lenient input means (the first or the last of two `layers` keys; a
/// UTF-16 document), so a registry that accepts such a manifest stores content that clients read
/// differently from what it checked. Refusing it is the only safe answer.
public struct StrictJSONParser {
    public static let maximumDepth = 128

    private let bytes: [UInt8]
    private var offset = 0
    /// Where in the document the parser is, for messages.
    private var path: [any CodingKey] = []

    /// Parses a whole document.
    public static func parse(_ bytes: some Collection<UInt8>) throws(StrictJSONError) -> JSONValue {
        var parser = StrictJSONParser(bytes: Array(bytes))
        try parser.checkEncoding()
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.offset == parser.bytes.count else {
            throw parser.failure("unexpected content after the JSON value")
        }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func failure(_ reason: String) -> StrictJSONError {
        StrictJSONError(
            path: StrictJSONError.path(path), reason: "not valid JSON: \(reason) (at byte \(offset))", offset: offset)
    }

    private func checkEncoding() throws(StrictJSONError) {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw StrictJSONError(path: "body", reason: "starts with a byte-order mark; JSON must be UTF-8 without one")
        }
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.first == 0
            || (bytes.count > 1 && bytes[1] == 0)
        {
            throw StrictJSONError(
                path: "body", reason: "is not UTF-8 (it looks like UTF-16 or UTF-32); JSON must be UTF-8")
        }
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
    }

    private mutating func value(depth: Int) throws(StrictJSONError) -> JSONValue {
        guard depth < Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
        guard offset < bytes.count else { throw failure("the document ends where a value should be") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected character where a value should be")
        }
    }

    private mutating func literal(_ word: String) throws(StrictJSONError) {
        let expected = word.utf8
        guard bytes.count - offset >= expected.count, bytes[offset..<offset + expected.count].elementsEqual(expected)
        else {
            throw failure("unexpected character where a value should be")
        }
        offset += expected.count
    }

    private mutating func object(depth: Int) throws(StrictJSONError) -> JSONValue {
        offset += 1
        var members: [JSONMember] = []
        var seen = Set<String>()
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
                throw failure("expected a string key")
            }
            let key = try string()
            path.append(PathKey(stringValue: key))
            guard seen.insert(key).inserted else {
                throw StrictJSONError(
                    path: StrictJSONError.path(path),
                    reason: "the key \"\(key.prefix(80))\" appears twice; each key may appear once")
            }
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else {
                throw failure("expected ':' after a key")
            }
            offset += 1
            skipWhitespace()
            members.append(JSONMember(key: key, value: try value(depth: depth + 1)))
            path.removeLast()
            skipWhitespace()
            guard offset < bytes.count else { throw failure("the document ends inside an object") }
            switch bytes[offset] {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"): offset += 1; return .object(members)
            default: throw failure("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func array(depth: Int) throws(StrictJSONError) -> JSONValue {
        offset += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            path.append(PathKey(intValue: elements.count))
            elements.append(try value(depth: depth + 1))
            path.removeLast()
            skipWhitespace()
            guard offset < bytes.count else { throw failure("the document ends inside an array") }
            switch bytes[offset] {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"): offset += 1; return .array(elements)
            default: throw failure("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func number() throws(StrictJSONError) -> String {
        let start = offset
        func digits(_ parser: inout StrictJSONParser) -> Int {
            let from = parser.offset
            while parser.offset < parser.bytes.count,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.offset])
            { parser.offset += 1 }
            return parser.offset - from
        }
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard offset < bytes.count else { throw failure("a number has no digits") }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
        } else if digits(&self) == 0 {
            throw failure("a number has no digits")
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard digits(&self) > 0 else { throw failure("a number has no digits after '.'") }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
                offset += 1
            }
            guard digits(&self) > 0 else { throw failure("a number has no digits in its exponent") }
        }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    /// A string at `offset` (its opening quote), with escapes resolved and UTF-8 checked.
    private mutating func string() throws(StrictJSONError) -> String {
        offset += 1
        var scalars = String.UnicodeScalarView()
        while true {
            guard offset < bytes.count else { throw failure("the document ends inside a string") }
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                scalars.append(try escape())
            case 0..<0x20:
                throw failure("a control character must be escaped inside a string")
            case 0..<0x80:
                scalars.append(Unicode.Scalar(byte))
                offset += 1
            default:
                scalars.append(try multiByteScalar())
            }
        }
    }

    private mutating func escape() throws(StrictJSONError) -> Unicode.Scalar {
        offset += 1
        guard offset < bytes.count else { throw failure("the document ends inside an escape") }
        let byte = bytes[offset]
        offset += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try hexQuad()
            if (0xD800..<0xDC00).contains(high) {
                guard bytes.count - offset >= 2, bytes[offset] == UInt8(ascii: "\\"),
                    bytes[offset + 1] == UInt8(ascii: "u")
                else {
                    throw failure("a \\u escape is half of a surrogate pair")
                }
                offset += 2
                let low = try hexQuad()
                guard (0xDC00..<0xE000).contains(low),
                    let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                else {
                    throw failure("a \\u escape is half of a surrogate pair")
                }
                return scalar
            }
            guard let scalar = Unicode.Scalar(high) else { throw failure("a \\u escape is half of a surrogate pair") }
            return scalar
        default:
            throw failure("unknown escape '\\\(Character(Unicode.Scalar(byte)))'")
        }
    }

    private mutating func hexQuad() throws(StrictJSONError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw failure("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for byte in bytes[offset..<offset + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
        }
        offset += 4
        return value
    }

    /// One UTF-8 sequence of two to four bytes; overlong forms, surrogates and values above
    /// U+10FFFF are not UTF-8.
    private mutating func multiByteScalar() throws(StrictJSONError) -> Unicode.Scalar {
        let lead = bytes[offset]
        let (length, minimum, initial): (Int, UInt32, UInt32) =
            switch lead {
            case 0xC2...0xDF: (2, 0x80, UInt32(lead & 0x1F))
            case 0xE0...0xEF: (3, 0x800, UInt32(lead & 0x0F))
            case 0xF0...0xF4: (4, 0x10000, UInt32(lead & 0x07))
            default: (0, 0, 0)
            }
        guard length > 0, bytes.count - offset >= length else { throw failure("the string is not valid UTF-8") }
        var value = initial
        for byte in bytes[offset + 1..<offset + length] {
            guard byte & 0xC0 == 0x80 else { throw failure("the string is not valid UTF-8") }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard value >= minimum, let scalar = Unicode.Scalar(value) else {
            throw failure("the string is not valid UTF-8")
        }
        offset += length
        return scalar
    }
}
