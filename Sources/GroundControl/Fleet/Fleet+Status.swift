import Foundation
import SatelliteProtocol

extension Fleet {
    /// Records a heartbeat and answers with the desired generation, the settings, and any command.
    public func recordHeartbeat(_ name: ResourceName, _ report: StatusReport) async throws -> StatusReply {
        guard report.generation >= 0 else { throw GroundControlError(.invalidField, "generation: must not be negative") }
        guard (report.diskUsedBytes ?? 0) >= 0, (report.diskFreeBytes ?? 0) >= 0 else {
            throw GroundControlError(.invalidField, "diskUsedBytes, diskFreeBytes: must not be negative")
        }
        let at = Self.milliseconds(now())
        let encoded = try Self.json(report)
        let row = try await store.transaction { session in
            try await session.query(
                """
                UPDATE satellites SET last_seen = ?, applied_generation = ?, report = ?
                WHERE name = ? AND status = 'registered' RETURNING rotate_requested, settings
                """, .integer(at), .integer(report.generation), .text(encoded), .text(name.value)).first
        }
        guard let row else { throw GroundControlError(.revoked, "satellite '\(name)' is not registered") }
        var commands: [SatelliteInstruction] = []
        if try row.bool(0), let credential = try await rotateCredential(name) {
            commands.append(SatelliteInstruction(type: SatelliteInstruction.rotateCredential, credential: credential))
        }
        return StatusReply(
            desiredGeneration: try await generation(of: name),
            settings: try Self.decode(SatelliteSettings.self, try row.text(1)),
            commands: commands)
    }

    /// Makes the next credential; both work until the satellite first uses the new one.
    private func rotateCredential(_ name: ResourceName) async throws -> String? {
        let credential = Secret.make(prefix: Secret.credentialPrefix)
        let updated = try await store.transaction { session in
            let rows = try await session.query(
                "UPDATE satellites SET next_credential_hash = ?, rotate_requested = 0 WHERE name = ? AND rotate_requested = 1 RETURNING name",
                .text(Secret.hash(credential)), .text(name.value))
            if !rows.isEmpty { try await audit(session, .satellite(name.value), "satellite.credential.issued", name.value) }
            return !rows.isEmpty
        }
        return updated ? credential : nil
    }
}
