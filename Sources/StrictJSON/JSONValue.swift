/// A JSON document as parsed by `StrictJSONParser`: members keep their order, numbers keep their
/// text (so a whole number is told from `1.5` without going through `Double`).
public indirect enum JSONValue: Sendable, Equatable {
    case object([JSONMember])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// What a message calls this kind of value.
    var kind: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "true or false"
        case .null: "null"
        }
    }
}

/// One `"key": value` of an object.
public struct JSONMember: Sendable, Equatable {
    public let key: String
    public let value: JSONValue
}
