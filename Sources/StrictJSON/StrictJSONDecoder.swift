import Foundation

/// Decodes `Decodable` values from JSON checked by `StrictJSONParser`, and optionally refuses
/// fields the type does not read, so a misspelt field is an error rather than silently lost.
///
/// A field counts as known when the type asks for it (`decode`, `decodeIfPresent`, `contains`),
/// or when it reads every key of the object (a dictionary). Whole numbers are told from
/// fractions by their text: `1.5` is not an `Int`. Dates are ISO 8601 strings.
public struct StrictJSONDecoder: Sendable {
    /// Refuse object keys the decoded type never asked for.
    public var rejectsUnknownFields: Bool

    public init(rejectsUnknownFields: Bool) {
        self.rejectsUnknownFields = rejectsUnknownFields
    }

    /// Parses and decodes; throws `StrictJSONError` for JSON that is refused or unknown fields,
    /// `DecodingError` (with its coding path) for values of the wrong shape.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        let document = try StrictJSONParser.parse(bytes)
        let objects = ObjectLedger()
        let value = try JSONTreeDecoder(value: document, codingPath: [], objects: objects).decodeValue(type)
        if rejectsUnknownFields, let unknown = objects.firstUnknownField() { throw unknown }
        return value
    }
}

/// Every object the decoding looked into, with the keys asked for.
final class ObjectLedger {
    final class Entry {
        let path: [any CodingKey]
        let keys: [String]
        var asked: [String] = []
        var askedAll = false

        init(path: [any CodingKey], keys: [String]) {
            self.path = path
            self.keys = keys
        }

        func ask(_ key: String) {
            if !asked.contains(key) { asked.append(key) }
        }
    }

    private var entries: [Entry] = []

    func add(path: [any CodingKey], keys: [String]) -> Entry {
        let entry = Entry(path: path, keys: keys)
        entries.append(entry)
        return entry
    }

    func firstUnknownField() -> StrictJSONError? {
        for entry in entries where !entry.askedAll {
            if let key = entry.keys.first(where: { !entry.asked.contains($0) }) {
                let known = entry.asked.isEmpty ? "" : " (fields: \(entry.asked.joined(separator: ", ")))"
                return StrictJSONError(
                    path: StrictJSONError.path(entry.path + [PathKey(stringValue: key)]),
                    reason: "unknown field\(known)")
            }
        }
        return nil
    }
}

struct JSONTreeDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let objects: ObjectLedger
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func mismatch(_ type: Any.Type, _ expected: String) -> DecodingError {
        DecodingError.typeMismatch(
            type, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.kind)"))
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        // Foundation's own types decode from other shapes than JSON APIs use.
        if T.self == Date.self {
            guard case .string(let text) = value else { throw mismatch(Date.self, "a date string") }
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "'\(text.prefix(40))' is not an ISO 8601 date"))
            }
            return try cast(date)
        }
        if T.self == URL.self {
            guard case .string(let text) = value, let url = URL(string: text) else {
                throw mismatch(URL.self, "a URL string")
            }
            return try cast(url)
        }
        return try T(from: self)
    }

    private func cast<T, V>(_ value: V) throws -> T {
        guard let cast = value as? T else { throw mismatch(T.self, "\(T.self)") }
        return cast
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: Any].self, "an object") }
        let entry = objects.add(path: codingPath, keys: members.map(\.key))
        return KeyedDecodingContainer(KeyedContainer<Key>(decoder: self, members: members, entry: entry))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([Any].self, "an array") }
        return UnkeyedContainer(decoder: self, elements: elements)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func child(_ value: JSONValue, _ key: any CodingKey) -> JSONTreeDecoder {
        JSONTreeDecoder(value: value, codingPath: codingPath + [key], objects: objects)
    }
}

extension JSONTreeDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(type, "true or false") }
        return flag
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let text) = value else { throw mismatch(type, "a string") }
        return text
    }

    func decode(_ type: Double.Type) throws -> Double {
        guard case .number(let text) = value, let number = Double(text), number.isFinite else {
            throw mismatch(type, "a number")
        }
        return number
    }

    func decode(_ type: Float.Type) throws -> Float {
        guard case .number(let text) = value, let number = Float(text), number.isFinite else {
            throw mismatch(type, "a number")
        }
        return number
    }

    func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        guard case .number(let text) = value, let number = I(text) else { throw mismatch(type, "a whole number") }
        return number
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }
}

struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: JSONTreeDecoder
    let members: [JSONMember]
    let entry: ObjectLedger.Entry

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        entry.askedAll = true
        return members.compactMap { Key(stringValue: $0.key) }
    }

    func contains(_ key: Key) -> Bool {
        entry.ask(key.stringValue)
        return members.contains { $0.key == key.stringValue }
    }

    private func member(_ key: Key) throws -> JSONTreeDecoder {
        entry.ask(key.stringValue)
        guard let member = members.first(where: { $0.key == key.stringValue }) else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "no value for \(key.stringValue)"))
        }
        return decoder.child(member.value, key)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key).value == .null }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decode(type, key) }

    /// The one path every `decode` takes, under another name so the primitive overloads reach it.
    private func decode<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        let child = try member(key)
        if child.value == .null {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: child.codingPath, debugDescription: "null where a value is needed"))
        }
        return try child.decodeValue(type)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type, key) }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try member(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try member(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard let key = Key(stringValue: "super") else {
            throw DecodingError.keyNotFound(
                PathKey(stringValue: "super"), .init(codingPath: codingPath, debugDescription: "no value for super"))
        }
        return try member(key)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { try member(key) }
}

struct UnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: JSONTreeDecoder
    let elements: [JSONValue]
    var currentIndex = 0

    init(decoder: JSONTreeDecoder, elements: [JSONValue]) {
        self.decoder = decoder
        self.elements = elements
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next() throws -> JSONTreeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self,
                .init(
                    codingPath: codingPath + [PathKey(intValue: currentIndex)],
                    debugDescription: "the array has no more elements"))
        }
        defer { currentIndex += 1 }
        return decoder.child(elements[currentIndex], PathKey(intValue: currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let child = try next()
        if child.value == .null {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: child.codingPath, debugDescription: "null where a value is needed"))
        }
        return try child.decodeValue(type)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try next() }
}
