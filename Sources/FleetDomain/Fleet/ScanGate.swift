import FleetAPI
import Foundation
import SatelliteProtocol

/// A group's scan gate: which artifacts of a Harbor may reach its satellites, judged by the scan
/// overview Harbor lists with each artifact.
package struct ScanGate: Codable, Sendable, Equatable {
    /// Harbor's severities in order; `negligible` counts as `low`, and `unknown` (findings whose
    /// severity the scanner could not tell) as `high`, since it could be anything.
    package enum Severity: Int, Codable, Sendable, Comparable, CaseIterable {
        case none, low, medium, high, critical

        package init?(name: String) {
            switch name.lowercased() {
            case "none": self = .none
            case "negligible", "low": self = .low
            case "medium": self = .medium
            case "unknown", "high": self = .high
            case "critical": self = .critical
            default: return nil
            }
        }

        package var name: String { ["none", "low", "medium", "high", "critical"][rawValue] }

        package static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    package var maxSeverity: Severity?
    package var requireScan: Bool

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
}
