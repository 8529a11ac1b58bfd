/// JSON refused by the strict parser or decoder, with where: `layers`, `artifacts[0].tag`, or
/// `body` for the whole document.
public struct StrictJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String
    /// The byte of the document the parser stopped at, when it was parsing.
    public let offset: Int?

    public init(path: String, reason: String, offset: Int? = nil) {
        self.path = path
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "\(path): \(reason)" }

    /// `a.b[2].c` from coding keys; `body` for none.
    public static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text.isEmpty ? "body" : text
    }
}

/// A coding key made by the parser and decoder for paths.
struct PathKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init(intValue: Int) {
        stringValue = "\(intValue)"
        self.intValue = intValue
    }
}
