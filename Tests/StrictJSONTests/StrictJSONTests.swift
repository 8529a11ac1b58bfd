import Foundation
import StrictJSON
import Testing

@Suite("Strict JSON")
struct StrictJSONTests {
    struct Refused: Sendable, CustomTestStringConvertible {
        let bytes: [UInt8]
        /// Words the error must contain (it names the place and the reason).
        let mentions: String
        var testDescription: String { mentions }

        init(_ text: String, _ mentions: String) {
            bytes = Array(text.utf8)
            self.mentions = mentions
        }

        init(bytes: [UInt8], _ mentions: String) {
            self.bytes = bytes
            self.mentions = mentions
        }
    }

    static let refused: [Refused] = [
        .init(#"{"layers":[],"layers":[{}]}"#, #"layers: the key "layers" appears twice"#),
        .init(#"{"a":{"b":1,"c":{"d":1,"d":2}}}"#, "a.c.d: the key"),
        .init(#"{"m":[{"x":1},{"x":1,"x":2}]}"#, "m[1].x: the key"),
        // The same key spelt with an escape is the same key.
        .init(#"{"url":1,"\u0075rl":2}"#, #"the key "url" appears twice"#),
        .init(bytes: [0xEF, 0xBB, 0xBF] + Array(#"{"a":1}"#.utf8), "byte-order mark"),
        .init(
            bytes: [0xFF, 0xFE] + Array(#"{"a":1}"#.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, "UTF-16"),
        .init(bytes: Array(#"{"a":1}"#.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, "UTF-16"),
        .init(bytes: Array(#"{"a":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8), "not valid UTF-8"),
        .init(bytes: Array(#"{"a":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), "not valid UTF-8"),
        .init(#"{"a":"\ud800"}"#, "surrogate"),
        .init(#"{"a":1} x"#, "after the JSON value"),
        .init(#"{"a":01}"#, "expected ','"),
        .init(#"{"a":1.}"#, "no digits after"),
        .init(#"{"a":[1,]}"#, "where a value should be"),
        .init(#"{'a':1}"#, "expected a string key"),
        .init("{\"a\":\"\t\"}", "control character"),
        .init(String(repeating: "[", count: 200) + String(repeating: "]", count: 200), "nested deeper than 128"),
        .init("", "ends where a value should be"),
    ]

    @Test(arguments: refused)
    func refusesWhatClientsReadDifferently(_ input: Refused) throws {
        do {
            _ = try StrictJSONParser.parse(input.bytes)
            Issue.record("accepted \(input.bytes.count) bytes")
        } catch {
            #expect(error.description.contains(input.mentions), "\(error)")
        }
    }

    @Test func parsesWhatRFC8259Allows() throws {
        let value = try StrictJSONParser.parse(
            Array(#" {"a":[1,-2.5e3,true,false,null,"é\u00e9\ud83d\ude00\n"],"b":{}} "#.utf8))
        guard case .object(let members) = value, case .array(let items) = members[0].value else {
            Issue.record("not an object with an array: \(value)")
            return
        }
        #expect(items == [.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("éé😀\n")])
    }

    struct Settings: Codable, Equatable {
        var interval: Int
        var name: String?
        var labels: [String: String]?
        var at: Date?
        var nested: [Nested]?
    }

    struct Nested: Codable, Equatable {
        var tag: String
    }

    @Test func decodesAndNamesUnknownFieldsWhenAsked() throws {
        let strict = StrictJSONDecoder(rejectsUnknownFields: true)
        let decoded = try strict.decode(
            Settings.self,
            from: Array(
                #"{"interval":5,"labels":{"any":"key"},"at":"2026-11-26T02:00:00Z","nested":[{"tag":"x"}]}"#.utf8))
        #expect(decoded.interval == 5 && decoded.labels == ["any": "key"] && decoded.nested == [Nested(tag: "x")])
        #expect(decoded.at == Date(timeIntervalSince1970: 1_795_658_400))

        #expect(
            throws: StrictJSONError(
                path: "intervl", reason: "unknown field (fields: interval, name, labels, at, nested)")
        ) {
            try strict.decode(Settings.self, from: Array(#"{"interval":5,"intervl":6}"#.utf8))
        }
        #expect(throws: StrictJSONError.self) {
            try strict.decode(Settings.self, from: Array(#"{"interval":5,"nested":[{"tag":"x","tga":"y"}]}"#.utf8))
        }
        // Unknown fields pass when not asked to refuse them.
        #expect(
            try StrictJSONDecoder(rejectsUnknownFields: false).decode(
                Settings.self, from: Array(#"{"interval":5,"new":1}"#.utf8)
            ).interval == 5)
    }

    @Test(arguments: [#"{"interval":1.5}"#, #"{"interval":"5"}"#, #"{"interval":1e2}"#, #"{"interval":null}"#, #"{}"#])
    func wrongShapesAreDecodingErrorsWithTheirPath(_ json: String) throws {
        do {
            _ = try StrictJSONDecoder(rejectsUnknownFields: true).decode(Settings.self, from: Array(json.utf8))
            Issue.record("accepted \(json)")
        } catch let error as DecodingError {
            switch error {
            case .typeMismatch(let type, let context):
                #expect(type == Int.self && context.codingPath.map(\.stringValue) == ["interval"])
            case .valueNotFound(_, let context):
                #expect(context.codingPath.map(\.stringValue) == ["interval"])
            case .keyNotFound(let key, _):
                #expect(key.stringValue == "interval")
            default:
                Issue.record("unexpected \(error)")
            }
        }
    }
}
