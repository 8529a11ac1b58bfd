import FleetAPI
import Foundation
import SatelliteProtocol

/// A group's scan gate: which artifacts of a Harbor may reach its satellites, judged by the scan
/// overview Harbor lists with each artifact.
struct ScanGate: Codable, Sendable, Equatable {
    /// Harbor's severities in order; `negligible` counts as `low`, and `unknown` (findings whose
    /// severity the scanner could not tell) as `high`, since it could be anything.
    enum Severity: Int, Codable, Sendable, Comparable, CaseIterable {
        case none, low, medium, high, critical

        init?(name: String) {
            switch name.lowercased() {
            case "none": self = .none
            case "negligible", "low": self = .low
            case "medium": self = .medium
            case "unknown", "high": self = .high
            case "critical": self = .critical
            default: return nil
            }
        }

        var name: String { ["none", "low", "medium", "high", "critical"][rawValue] }

        static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    var maxSeverity: Severity?
    var requireScan: Bool

    /// The gate a group definition asks for; nil when it asks for none.
    static func validated(_ definition: GroupDefinition, registryKind: String) throws(GroundControlError) -> ScanGate? {
        guard definition.maxSeverity != nil || definition.requireScan == true else { return nil }
        guard registryKind == "harbor" else {
            throw GroundControlError(
                .invalidField,
                "maxSeverity, requireScan: scan results come from Harbor; the registry must be of kind harbor")
        }
        var gate = ScanGate(maxSeverity: nil, requireScan: definition.requireScan ?? false)
        if let name = definition.maxSeverity {
            guard let severity = Severity.allCases.first(where: { $0.name == name }) else {
                throw GroundControlError(
                    .invalidField, "maxSeverity: must be none, low, medium, high or critical, not '\(name.prefix(40))'")
            }
            gate.maxSeverity = severity
        }
        return gate
    }

    /// Why `artifact` is withheld, or nil when it may pass.
    func refusal(of artifact: HarborAPI.Artifact) -> String? {
        let finished = (artifact.scanOverview ?? [:]).values.filter { $0.scanStatus?.lowercased() == "success" }
        guard !finished.isEmpty else {
            guard requireScan else { return nil }
            let status = artifact.scanOverview?.values.compactMap(\.scanStatus).first
            return status.map { "not scanned (scan \($0.lowercased()))" } ?? "not scanned"
        }
        guard let maxSeverity else { return nil }
        let worst = finished.map { $0.severity.flatMap(Severity.init(name:)) ?? .high }.max() ?? .none
        return worst > maxSeverity ? "severity \(worst.name) is above the group's maxSeverity \(maxSeverity.name)" : nil
    }
}
