struct SQLEventRepository: EventRepository {
    let session: any FleetSession
    let dialect: SQLDialect

    func append(_ event: EventRecord) async throws {
        if dialect == .postgres {
            // One emitting transaction at a time, held to its commit: ids then become visible in
            // order, so a reader past id N never later finds a smaller id committed.
            try await session.query("SELECT pg_advisory_xact_lock(7232)")
        }
        try await session.query(
            "INSERT INTO events (type, subject, at, data) VALUES (?, ?, ?, ?)",
            .text(event.type), .text(event.subject), .integer(event.at), .text(event.data))
    }
}
