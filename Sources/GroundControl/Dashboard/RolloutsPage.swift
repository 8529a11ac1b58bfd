import FleetAPI
import Foundation

/// `/rollouts`: the fleet's generations by site, then each recent rollout with a bar per wave
/// (applied, failed, reached but not yet applied, not reached) and the actions its state allows.
struct RolloutsPage {
    struct Rollout {
        let id: Int64
        let group: String
        let state: String
        let policy: String
        let wave: String
        let started: String
        let startedAt: String
        let reason: String?
        let chart: SVGChart
        let actions: [Action]
    }

    struct Action {
        let url: String
        let label: String
        let danger: Bool
        let confirm: String?
    }

    /// A colour of the generations picture and what it stands for.
    struct Shade {
        let kind: String
        let text: String
    }

    let frame: PageFrame
    let generations: SVGChart?
    let legend: [Shade]
    let rollouts: [Rollout]

    /// Sites shown in the generations picture; the rest are summed as one row.
    static let siteRows = 24
    /// Generations told apart by colour, newest first; older ones share one.
    static let shades = 5

    init(frame: PageFrame, rollouts: [RolloutView], satellites: [SatelliteView], now: Date) {
        self.frame = frame
        (generations, legend) = Self.generations(satellites)
        self.rollouts = rollouts.map { rollout in
            Rollout(
                id: rollout.id, group: rollout.group, state: rollout.state, policy: rollout.policy,
                wave: "wave \(rollout.wave) of \(rollout.waves)",
                started: DashboardFormat.ago(rollout.createdAt, now: now),
                startedAt: DashboardFormat.timestamp(rollout.createdAt), reason: rollout.reason,
                chart: Self.waves(rollout), actions: frame.canOperate ? Self.actions(rollout) : [])
        }
    }

    /// A bar per wave: applied, failed, reached and waiting, not reached.
    static func waves(_ rollout: RolloutView) -> SVGChart {
        let rows = rollout.progress.map { wave -> (name: String, segments: [SVGChart.Segment]) in
            let members = wave.members.count
            guard wave.reached else {
                return (
                    "wave \(wave.wave)",
                    [.init(count: members, kind: "unreached", title: "wave \(wave.wave): \(members) not reached")]
                )
            }
            let waiting = max(0, members - wave.applied - wave.failed)
            return (
                "wave \(wave.wave)",
                [
                    .init(count: wave.applied, kind: "applied", title: "wave \(wave.wave): \(wave.applied) applied"),
                    .init(count: wave.failed, kind: "failed", title: "wave \(wave.wave): \(wave.failed) failed"),
                    .init(count: waiting, kind: "waiting", title: "wave \(wave.wave): \(waiting) reached, not applied"),
                ]
            )
        }
        return SVGChart.stacked(rows, label: "Rollout \(rollout.id) of \(rollout.group), wave by wave")
    }

    /// Satellites by the generation they applied, a row per site: the newest generations each in
    /// a colour of their own, older ones in one.
    static func generations(_ satellites: [SatelliteView]) -> (SVGChart?, [Shade]) {
        let registered = satellites.filter { $0.state != "pending" && $0.state != "revoked" }
        guard !registered.isEmpty else { return (nil, []) }
        let newest = Array(Set(registered.compactMap(\.appliedGeneration))).sorted(by: >).prefix(shades)
        func shade(_ generation: Int64?) -> Int {
            generation.flatMap { newest.firstIndex(of: $0) } ?? shades
        }
        var sites: [String: [Int]] = [:]
        for satellite in registered {
            sites[satellite.site ?? "(no site)", default: Array(repeating: 0, count: shades + 1)][
                shade(satellite.appliedGeneration)] += 1
        }
        var ordered = sites.sorted { ($0.value.reduce(0, +), $1.key) > ($1.value.reduce(0, +), $0.key) }
        if ordered.count > siteRows {
            var rest = Array(repeating: 0, count: shades + 1)
            for (_, counts) in ordered[(siteRows - 1)...] { rest = zip(rest, counts).map(+) }
            ordered = Array(ordered.prefix(siteRows - 1)) + [("\(ordered.count - siteRows + 1) other sites", rest)]
        }
        // A name for each shade: the newest generations', then the one for all the others.
        let names = (0...shades).map { $0 < newest.count ? "generation \(newest[$0])" : "older or none" }
        let rows = ordered.map { site, counts in
            (
                site,
                zip(counts, names).enumerated().map { index, shade in
                    SVGChart.Segment(count: shade.0, kind: "g\(index)", title: "\(site): \(shade.0) at \(shade.1)")
                }
            )
        }
        let used = Set(ordered.flatMap { row in row.1.indices.filter { row.1[$0] > 0 } })
        let legend = names.enumerated().filter { used.contains($0.offset) }.map {
            Shade(kind: "g\($0.offset)", text: $0.element)
        }
        return (SVGChart.stacked(rows, label: "Satellites by the generation they applied, by site"), legend)
    }

    /// What an operator may do with the rollout in its state.
    static func actions(_ rollout: RolloutView) -> [Action] {
        let base = "/api/v1/rollouts/\(rollout.id)"
        switch rollout.state {
        case "running", "soaking":
            return [
                Action(url: base + "/pause", label: "Pause", danger: false, confirm: nil),
                Action(url: base + "/promote", label: "Promote", danger: false, confirm: "Skip the gate of this wave?"),
                Action(
                    url: base + "/abort", label: "Abort", danger: true,
                    confirm: "Abort? Every member reached goes back to the previous generation."),
            ]
        case "paused":
            return [
                Action(url: base + "/resume", label: "Resume", danger: false, confirm: nil),
                Action(
                    url: base + "/abort", label: "Abort", danger: true,
                    confirm: "Abort? Every member reached goes back to the previous generation."),
            ]
        default:
            return []
        }
    }
}
