import Foundation
import SatelliteProtocol

extension SatelliteService {
    /// A heartbeat as received, waiting to be written; or only that the satellite was heard
    /// from (a quiet heartbeat, a long-poll).
    public struct Heartbeat: Sendable {
        public let name: String
        /// The status sent in full, and the digest of its body as sent; nil when quiet.
        public var report: StatusReport?
        public var digest: String?
        public var at: Date
        /// Until when a long-poll being held vouches for it.
        public var pollingUntil: Date?

        public init(
            name: String, report: StatusReport? = nil, digest: String? = nil, at: Date, pollingUntil: Date? = nil
        ) {
            self.name = name
            self.report = report
            self.digest = digest
            self.at = at
            self.pollingUntil = pollingUntil
        }

        /// This and a later one as one write: the latest status and times.
        public func merged(with later: Heartbeat) -> Heartbeat {
            var merged = self
            if later.report != nil {
                merged.report = later.report
                merged.digest = later.digest
            }
            merged.at = max(at, later.at)
            merged.pollingUntil = [pollingUntil, later.pollingUntil].compactMap { $0 }.max()
            return merged
        }
    }

    /// Records a heartbeat now and answers it (`acceptHeartbeat` then `storeHeartbeats`).
    public func recordHeartbeat(_ name: ResourceName, _ report: StatusReport) async throws -> StatusReply {
        let (reply, heartbeat) = try await acceptHeartbeat(name, report, digest: nil)
        try await storeHeartbeats([heartbeat])
        return reply
    }

    /// Checks a heartbeat and answers it with the desired generation, the settings, and any
    /// command, without writing it: the caller stores heartbeats in batches.
    public func acceptHeartbeat(
        _ name: ResourceName, _ report: StatusReport?, digest: String?
    ) async throws -> (StatusReply, Heartbeat) {
        try await acceptHeartbeat(
            report, digest: digest, from: try await fleet.stateInputs(of: name),
            configuration: try await fleet.configuration())
    }

    /// `acceptHeartbeat` from what the caller already holds: no query unless a rotation is due.
    /// A quiet heartbeat (`report` nil) says only that the satellite is there.
    public func acceptHeartbeat(
        _ report: StatusReport?, digest: String?, from satellite: SatelliteStateInputs,
        configuration: FleetConfiguration
    ) async throws -> (StatusReply, Heartbeat) {
        if let report { try Self.validate(report) }
        guard satellite.status == "registered" else {
            throw GroundControlError(.revoked, "satellite '\(satellite.name)' is not registered")
        }
        let advertised = try report?.advertisedURL.map { raw throws(GroundControlError) in
            guard let url = DesiredState.normalizedPeerURL(raw) else {
                throw GroundControlError(
                    .invalidField, "advertisedURL: must be http(s)://host:port with no path, not '\(raw.prefix(200))'")
            }
            return url
        }
        if report != nil, advertised != satellite.advertisedURL {
            // Rare (a start, a new address): the site's members list it from now on.
            try await fleet.sites.recordAdvertisedURL(advertised, of: try ResourceName(satellite.name))
        }
        var commands: [SatelliteInstruction] = []
        if satellite.rotateRequested, let credential = try await rotateCredential(try ResourceName(satellite.name)) {
            commands.append(SatelliteInstruction(type: SatelliteInstruction.rotateCredential, credential: credential))
        }
        let reply = StatusReply(
            desiredGeneration: configuration.generation(of: satellite), settings: satellite.settings, commands: commands
        )
        return (reply, Heartbeat(name: satellite.name, report: report, digest: digest, at: now()))
    }

    private static func validate(_ report: StatusReport) throws(GroundControlError) {
        guard report.generation >= 0 else {
            throw GroundControlError(.invalidField, "generation: must not be negative")
        }
        guard (report.diskUsedBytes ?? 0) >= 0, (report.diskFreeBytes ?? 0) >= 0 else {
            throw GroundControlError(.invalidField, "diskUsedBytes, diskFreeBytes: must not be negative")
        }
        try validate(report.demand)
    }

    /// The digest of the status a satellite last sent in full (a quiet heartbeat names it).
    public func statusDigest(of name: String) async throws -> String? {
        try await store.read { records in try await records.satellites.statusDigest(of: name) }
    }

    /// Writes heartbeats in one transaction (a revoked satellite's are dropped).
    public func storeHeartbeats(_ heartbeats: [Heartbeat]) async throws {
        guard !heartbeats.isEmpty else { return }
        try await store.transaction { records in
            for heartbeat in heartbeats {
                let at = Self.milliseconds(heartbeat.at)
                let pollingUntil = heartbeat.pollingUntil.map(Self.milliseconds)
                if let report = heartbeat.report {
                    try await records.satellites.recordHeartbeat(
                        of: heartbeat.name, at: at, report: report, digest: heartbeat.digest)
                    guard pollingUntil != nil else { continue }
                }
                try await records.satellites.recordPresence(of: heartbeat.name, at: at, pollingUntil: pollingUntil)
            }
        }
    }

    /// A demand report of bounded size with counts that add up: it is kept and summed fleet-wide.
    static func validate(_ demand: DemandReport?) throws(GroundControlError) {
        guard let demand else { return }
        guard demand.entries.count <= DemandReport.reportedEntries else {
            throw GroundControlError(
                .invalidField,
                "demand.entries: at most \(DemandReport.reportedEntries) entries, not \(demand.entries.count)")
        }
        guard (demand.omitted ?? 0) >= 0 else {
            throw GroundControlError(.invalidField, "demand.omitted: must not be negative")
        }
        for (index, entry) in demand.entries.enumerated() {
            let field = "demand.entries[\(index)]"
            // Bounded so that the fleet's sums cannot overflow (and a browser reads them exactly).
            let counts = 0...(Int64(1) << 53)
            guard counts.contains(entry.misses), counts.contains(entry.denied), counts.contains(entry.notFound) else {
                throw GroundControlError(.invalidField, "\(field): counts must be 0 to 2^53")
            }
            let texts = [entry.upstream, entry.host, entry.repository, entry.tag, entry.digest]
            guard texts.allSatisfy({ ($0?.utf8.count ?? 0) <= 512 }), !entry.repository.isEmpty else {
                throw GroundControlError(.invalidField, "\(field): names must be 1 to 512 bytes")
            }
            guard (entry.tag == nil) != (entry.digest == nil) else {
                throw GroundControlError(.invalidField, "\(field): needs a tag or a digest, not both")
            }
        }
    }

    /// Makes the next credential; both work until the satellite first uses the new one.
    private func rotateCredential(_ name: ResourceName) async throws -> String? {
        let credential = Secret.make(prefix: Secret.credentialPrefix)
        let updated = try await change(by: .satellite(name.value)) { changes in
            guard try await changes.records.satellites.issueNextCredential(Secret.hash(credential), to: name.value)
            else { return false }
            try await changes.touch(satellite: name.value)
            changes.audit("satellite.credential.issued", name.value)
            return true
        }
        return updated ? credential : nil
    }
}
