import Foundation

extension SatelliteService {
    /// Forgets the record of certificates that ended longer ago than a satellite may renew with
    /// one (`--reenrol-expired`), and a day more: they authenticate nothing any more.
    package func forgetEndedCertificates() async throws {
        let before = Self.milliseconds(now().addingTimeInterval(-fleet.identity.reenrolExpired - 86400))
        try await store.transaction { records in try await records.certificates.prune(endedBefore: before) }
    }
}
