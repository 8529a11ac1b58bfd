/// Keeping the database's secrets sealed (`SealedColumn`): at every start, a check that the key
/// given is the one the database was written with and the sealing of any value still plain (a
/// database from before, or a restored backup of one); for `secrets rotate-key`, every value
/// moved to a new key. Each runs in one transaction: all of it happens, or none.
package enum SecretsAtRest {
    /// What the key check seals: only the right key opens it.
    static let checkValue = "ground-control"

    /// Checks the key, seals plain values, and records the check on a database that has none;
    /// returns how many values it sealed. The wrong key stops here, before it seals anything.
    static func prepare(_ session: any FleetSession, sealer: SecretSealer) async throws -> Int {
        let meta = SQLMetaRepository(session: session, secrets: SecretColumns(sealer: sealer))
        _ = try await meta.value(MetaKey.secretKeyCheck)
        let sealed = try await reseal(session, from: sealer, to: sealer, plainOnly: true)
        _ = try await meta.setIfAbsent(MetaKey.secretKeyCheck, to: checkValue)
        return sealed
    }

    /// Seals every secret under `new`, opening each with the store's key; returns how many, or
    /// nil when the database is sealed under `new` already (a rotation that ended after its
    /// commit, run again). A database written under yet another key is left as it is.
    package static func rotate(_ store: any SQLFleetStore, to new: SecretSealer) async throws -> Int? {
        try await store.transactionSQL { session in
            let check = try await session.query(
                "SELECT value FROM fleet_meta WHERE key = ?", .text(MetaKey.secretKeyCheck)
            ).first?.text("value")
            guard let check else {
                throw FleetStoreError.corrupt("the database has no secret key check: start ground-control on it once")
            }
            let context = SealedColumn.metaSecret.context(MetaKey.secretKeyCheck)
            if (try? new.open(check, context: context)) != nil { return nil }
            _ = try SecretColumns(sealer: store.secrets).open(check, .metaSecret, key: MetaKey.secretKeyCheck)
            return try await reseal(session, from: store.secrets, to: new, plainOnly: false)
        }
    }

    private static func reseal(
        _ session: any FleetSession, from old: SecretSealer, to new: SecretSealer, plainOnly: Bool
    ) async throws -> Int {
        let opening = SecretColumns(sealer: old)
        let sealing = SecretColumns(sealer: new)
        var count = 0
        for column in SealedColumn.all {
            var filter = "\(column.valueColumn) IS NOT NULL"
            if plainOnly { filter += " AND \(column.valueColumn) NOT LIKE '\(SecretSealer.prefix):%'" }
            var arguments: [SQLValue] = []
            if let keys = column.keys {
                filter += " AND \(column.keyColumn) IN (\(keys.map { _ in "?" }.joined(separator: ", ")))"
                arguments = keys.map { .text($0) }
            }
            let rows = try await session.query(
                "SELECT \(column.keyColumn) AS row_key, \(column.valueColumn) AS row_value FROM \(column.table) "
                    + "WHERE \(filter)", arguments)
            for row in rows {
                let key = try row.text("row_key")
                let plain = try opening.open(row.text("row_value"), column, key: key)
                try await session.query(
                    "UPDATE \(column.table) SET \(column.valueColumn) = ? WHERE \(column.keyColumn) = ?",
                    .text(try sealing.seal(plain, column, key: key)), .text(key))
                count += 1
            }
        }
        return count
    }
}
