import FleetDomain

extension ScanGate {
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
