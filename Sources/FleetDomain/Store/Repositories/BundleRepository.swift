/// What each satellite's recent bundles carried, the bases of deltas.
package protocol BundleRepository: Sendable {
    /// The digests the bundle of that generation carried; nil when none is kept.
    func digests(of satellite: String, generation: Int64) async throws -> [String]?

    /// Remembers a bundle and keeps the newest `keep` of the satellite's.
    func record(of satellite: String, generation: Int64, at: Int64, digests: [String], keep: Int) async throws

    func deleteAll(of satellite: String) async throws
}
