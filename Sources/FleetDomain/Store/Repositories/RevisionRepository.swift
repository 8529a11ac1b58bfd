/// The fleet-wide revision counter: it moves whenever any satellite's desired state may have.
package protocol RevisionRepository: Sendable {
    func current() async throws -> Int64

    /// Takes the next value. Every change that can alter a desired state stamps what it changed
    /// with one.
    func next() async throws -> Int64
}
