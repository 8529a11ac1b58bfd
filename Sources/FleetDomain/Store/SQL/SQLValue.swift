/// A value bound to or read from a SQL statement; both databases map onto these four.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    /// Booleans are stored as 0 and 1 in both databases.
    public static func bool(_ value: Bool) -> SQLValue { .integer(value ? 1 : 0) }

    public static func optional(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }

}

/// One result row, read by column name with typed accessors: the domain never depends on the
/// order of a `SELECT`'s columns. Names are lower case (PostgreSQL folds unquoted ones).
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public func integer(_ column: String) throws(FleetStoreError) -> Int64 {
        guard let value = try optionalInteger(column) else {
            throw .corrupt("column \(column) is NULL, an integer was expected")
        }
        return value
    }

    public func optionalInteger(_ column: String) throws(FleetStoreError) -> Int64? {
        switch try value(column) {
        case .null: return nil
        case .integer(let value): return value
        case .real(let value): return Int64(value)
        case .text(let text):
            guard let value = Int64(text) else {
                throw .corrupt("column \(column) holds '\(text)', an integer was expected")
            }
            return value
        }
    }

    public func text(_ column: String) throws(FleetStoreError) -> String {
        guard let value = try optionalText(column) else {
            throw .corrupt("column \(column) is NULL, text was expected")
        }
        return value
    }

    public func optionalText(_ column: String) throws(FleetStoreError) -> String? {
        switch try value(column) {
        case .null: return nil
        case .text(let value): return value
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        }
    }

    public func bool(_ column: String) throws(FleetStoreError) -> Bool { try integer(column) != 0 }

    private func value(_ column: String) throws(FleetStoreError) -> SQLValue {
        guard let index = columns.firstIndex(of: column), values.indices.contains(index) else {
            throw .corrupt("the result has no column \(column) (it has \(columns.joined(separator: ", ")))")
        }
        return values[index]
    }
}

/// A failure of the database underneath the fleet; the API answers 500 or 503 for these.
public struct FleetStoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case unavailable, constraint, corrupt }
    public let kind: Kind
    public let message: String

    public static func unavailable(_ message: String) -> FleetStoreError { .init(kind: .unavailable, message: message) }
    public static func constraint(_ message: String) -> FleetStoreError { .init(kind: .constraint, message: message) }
    public static func corrupt(_ message: String) -> FleetStoreError { .init(kind: .corrupt, message: message) }

    public var description: String { message }
}
