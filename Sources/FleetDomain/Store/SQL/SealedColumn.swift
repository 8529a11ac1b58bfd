/// A column whose values the SQL store keeps only sealed (`SecretSealer`): the repositories seal
/// what they write to it and open what they read, and `SecretsAtRest` walks every one of them
/// to seal old plain values or move them to a new key. A new secret column is added here.
struct SealedColumn: Sendable {
    let table: String
    /// The column naming the row, bound into each seal.
    let keyColumn: String
    let valueColumn: String
    /// The rows it covers, when not all of the table's.
    let keys: [String]?

    static let registryPassword = SealedColumn(
        table: "registries", keyColumn: "name", valueColumn: "password", keys: nil)
    static let subscriptionSecret = SealedColumn(
        table: "event_subscriptions", keyColumn: "name", valueColumn: "secret", keys: nil)
    static let metaSecret = SealedColumn(
        table: "fleet_meta", keyColumn: "key", valueColumn: "value", keys: MetaKey.sealed)

    static let all = [registryPassword, subscriptionSecret, metaSecret]

    /// Where a value is kept: sealed with it, so a value copied to another row does not open.
    func context(_ key: String) -> String { "\(table).\(valueColumn):\(key)" }

    /// Whether the row of `key` is one this column covers.
    func covers(_ key: String) -> Bool { keys?.contains(key) ?? true }
}

/// Sealing and opening with one key for the repositories of one session.
struct SecretColumns: Sendable {
    let sealer: SecretSealer

    func seal(_ value: String, _ column: SealedColumn, key: String) throws(FleetStoreError) -> String {
        do {
            return try sealer.seal(value, context: column.context(key))
        } catch {
            throw .corrupt(error.description)
        }
    }

    func seal(optional value: String?, _ column: SealedColumn, key: String) throws(FleetStoreError) -> SQLValue {
        guard let value else { return .null }
        return .text(try seal(value, column, key: key))
    }

    /// The value as it was before sealing. A plain one is taken as it is: only a database from
    /// before sealing holds one, and the start seals them all before anything reads.
    func open(_ stored: String, _ column: SealedColumn, key: String) throws(FleetStoreError) -> String {
        guard SecretSealer.isSealed(stored) else { return stored }
        do {
            return try sealer.open(stored, context: column.context(key))
        } catch {
            throw .corrupt(error.description)
        }
    }

    func open(optional stored: String?, _ column: SealedColumn, key: String) throws(FleetStoreError) -> String? {
        guard let stored else { return nil }
        return try open(stored, column, key: key)
    }
}
