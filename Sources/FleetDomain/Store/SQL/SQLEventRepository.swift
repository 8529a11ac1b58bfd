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

    func events(after cursor: Int64, limit: Int) async throws -> [EventService.Event] {
        try await session.query(
            "SELECT id, type, subject, at, data FROM events WHERE id > ? ORDER BY id LIMIT ?", .integer(cursor),
            .integer(Int64(limit))
        ).map { row in
            EventService.Event(
                id: try row.integer("id"), type: try row.text("type"), subject: try row.text("subject"),
                at: Fleet.date(try row.integer("at")),
                data: try row.text("data"))
        }
    }
}
