import Foundation

extension SatelliteService {
    /// Forgets the record of certificates that ended a day ago or more: past their end, TLS
    /// refuses them before their serial is looked up.
    package func forgetEndedCertificates() async throws {
        let before = Self.milliseconds(now().addingTimeInterval(-86400))
        try await store.transaction { records in try await records.certificates.prune(endedBefore: before) }
    }
}
