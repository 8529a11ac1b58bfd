/// Events for other systems, written in the transaction of the change they tell of.
package protocol EventRepository: Sendable {
    /// Appends an event; ids become visible in the order they are given.
    func append(_ event: EventRecord) async throws

    /// Events after `cursor`, in id order.
    func events(after cursor: Int64, limit: Int) async throws -> [EventService.Event]
}

/// One event to write; the store numbers it.
package struct EventRecord: Sendable, Equatable {
    let type: String
    let subject: String
    /// Milliseconds since 1970.
    let at: Int64
    /// A JSON object.
    let data: String
}
