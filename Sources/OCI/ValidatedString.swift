/// A value that exists only once its text is checked (a name, a tag, a digest), and that goes in
/// and out of JSON and YAML as that text: a document holding a bad one fails to decode, naming
/// the field and why.
public protocol ValidatedString: Codable {
    /// The text as written.
    var text: String { get }
    /// Checks `raw`; the error says why it is refused.
    init(validating raw: String) throws(OCIError)
}

extension ValidatedString {
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(validating: raw)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
