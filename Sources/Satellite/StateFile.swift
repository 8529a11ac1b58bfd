import Foundation
import OCI
import SatelliteProtocol
import Yams

/// Reads a desired state from a YAML or JSON file (JSON is YAML), with errors that name the field
/// and its line.
public enum StateFile {
    /// A state file that cannot be used, as `path:line: field: reason`.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let line: Int?
        public let field: String?
        public let reason: String

        public var description: String {
            "\(path)\(line.map { ":\($0)" } ?? ""): \(field.map { "\($0): " } ?? "")\(reason)"
        }
    }

    /// Decodes and validates state text; `path` only labels errors.
    public static func parse(_ text: String, path: String = "<state>") throws(LoadError) -> DesiredState {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw LoadError(path: path, line: nil, field: nil, reason: "the file is empty")
            }
            root = node
        } catch let error as LoadError {
            throw error
        } catch let YamlError.scanner(_, problem, mark, _), let YamlError.parser(_, problem, mark, _) {
            throw LoadError(path: path, line: mark.line, field: nil, reason: "not valid YAML or JSON: \(problem)")
        } catch {
            throw LoadError(path: path, line: nil, field: nil, reason: "not valid YAML or JSON: \(error)")
        }

        let state: DesiredState
        do {
            state = try YAMLDecoder().decode(DesiredState.self, from: root)
        } catch let error as DecodingError {
            let (keys, reason) = describe(error)
            let field = fieldPath(keys)
            throw LoadError(
                path: path, line: line(of: keys, in: root), field: field.isEmpty ? nil : field, reason: reason)
        } catch {
            throw LoadError(path: path, line: nil, field: nil, reason: "\(error)")
        }
        do {
            try state.validate()
        } catch {
            throw LoadError(
                path: path, line: line(ofField: error.field, in: root), field: error.field, reason: error.message)
        }
        return state
    }

    private static func describe(_ error: DecodingError) -> ([any CodingKey], String) {
        switch error {
        case .keyNotFound(let key, let context):
            return (context.codingPath + [key], "is required")
        case .typeMismatch(let type, let context):
            return (context.codingPath, "must be \(typeName(type))")
        case .valueNotFound(let type, let context):
            return (context.codingPath, "must be \(typeName(type)), not null")
        case .dataCorrupted(let context):
            return (context.codingPath, context.debugDescription)
        @unknown default:
            return ([], "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "a list"
        default: "a \(type)"
        }
    }

    private static func fieldPath(_ keys: [any CodingKey]) -> String {
        keys.reduce(into: "") { path, key in
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
    }

    /// The line of the deepest node along `keys` that exists.
    private static func line(of keys: [any CodingKey], in root: Node) -> Int? {
        var node = root
        var line = root.mark?.line
        for key in keys {
            let next: Node?
            if let index = key.intValue {
                next = node.sequence.flatMap { index < $0.count ? $0[index] : nil }
            } else {
                next = node.mapping?[key.stringValue]
            }
            guard let next else { break }
            node = next
            line = next.mark?.line ?? line
        }
        return line
    }

    /// The line of a field written as `artifacts[2].upstream`.
    private static func line(ofField field: String, in root: Node) -> Int? {
        var keys: [any CodingKey] = []
        for part in field.split(separator: ".") {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                keys.append(PathKey(stringValue: String(rest[..<bracket])))
                rest = rest[bracket...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    if let index = Int(rest[rest.index(after: rest.startIndex)..<close]) {
                        keys.append(PathKey(intValue: index))
                    }
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                keys.append(PathKey(stringValue: String(rest)))
            }
        }
        return line(of: keys, in: root)
    }

    private struct PathKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(stringValue: String) { self.stringValue = stringValue }
        init(intValue: Int) {
            self.stringValue = String(intValue)
            self.intValue = intValue
        }
    }
}
