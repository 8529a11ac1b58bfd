struct SQLRevisionRepository: RevisionRepository {
    let session: any FleetSession

    func current() async throws -> Int64 {
        try await session.query("SELECT value FROM fleet_revision WHERE id = 1").first?.integer("value") ?? 0
    }

    func next() async throws -> Int64 {
        // The row lock also orders concurrent changes across processes.
        guard
            let row = try await session.query(
                "UPDATE fleet_revision SET value = value + 1 WHERE id = 1 RETURNING value"
            ).first
        else {
            throw FleetStoreError.corrupt("fleet_revision has no row")
        }
        return try row.integer("value")
    }
}
