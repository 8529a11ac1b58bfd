import Foundation
import NIOCore

/// The timeline and target every wire satellite of one simulator process shares. Instants come
/// from fleet.sh as wall-clock times, so that several simulator processes keep one timeline.
struct WireRun: Sendable {
    let address: SocketAddress
    /// `Host` for the requests.
    let host: String
    /// When the group changes (wake-ups are measured from it); nil for no change.
    let changeAt: NIODeadline?
    /// Heartbeats sent in this window are measured (the steady state, before the change).
    let measured: Range<NIODeadline>
    let end: NIODeadline

    /// Whole seconds until the end, at least 0.
    var secondsLeft: Int { Int(max(0, (end - .now()).nanoseconds / 1_000_000_000)) }

    /// The monotonic instant of a wall-clock time (seconds since 1970).
    static func deadline(epoch: Double) -> NIODeadline {
        let offset = epoch - Date().timeIntervalSince1970
        return .now() + .nanoseconds(Int64(offset * 1e9))
    }
}

/// What the satellites of one event loop measured; touched only on that loop, merged at the end.
final class WireStats: @unchecked Sendable {
    enum Kind: String, CaseIterable {
        case heartbeat
        case quietHeartbeat = "quiet"
        case firstState = "first"
    }

    private(set) var samples: [Kind: [Double]] = [:]
    /// Seconds from the change to each satellite's new state.
    private(set) var wakes: [Double] = []
    private(set) var failures: [String: Int] = [:]
    private(set) var failed = 0

    /// Milliseconds since `sent`; heartbeats only when sent in the measured window.
    func record(_ kind: Kind, since sent: NIODeadline, run: WireRun) {
        if kind != .firstState && !run.measured.contains(sent) { return }
        samples[kind, default: []].append(Double((NIODeadline.now() - sent).nanoseconds) / 1e6)
    }

    func recordWake(run: WireRun) {
        guard let changeAt = run.changeAt else { return }
        wakes.append(Double((NIODeadline.now() - changeAt).nanoseconds) / 1e9)
    }

    /// Counts a failure; the first few reasons are kept to print.
    func fail(_ reason: String) {
        failed += 1
        let short = String(reason.prefix(160))
        if failures[short] != nil || failures.count < 8 { failures[short, default: 0] += 1 }
    }

    func merge(_ other: WireStats) {
        for (kind, values) in other.samples { samples[kind, default: []] += values }
        wakes += other.wakes
        for (reason, count) in other.failures where failures[reason] != nil || failures.count < 8 {
            failures[reason, default: 0] += count
        }
        failed += other.failed
    }

    /// One line per sample, for fleet.sh to merge the processes' figures:
    /// `heartbeat MS`, `quiet MS`, `first MS`, `wake S`, `missed N`, `failed N`.
    func samplesText(missed: Int) -> String {
        var lines: [String] = []
        for kind in Kind.allCases {
            for value in samples[kind] ?? [] { lines.append("\(kind.rawValue) \(String(format: "%.3f", value))") }
        }
        for value in wakes { lines.append("wake \(String(format: "%.4f", value))") }
        lines.append("missed \(missed)")
        lines.append("failed \(failed)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Percentiles for a person reading this process's output.
    func summary(missed: Int) -> String {
        var lines: [String] = []
        for (reason, count) in failures { lines.append("failed \(count)×: \(reason)") }
        for kind in Kind.allCases {
            let values = (samples[kind] ?? []).sorted()
            lines.append("\(kind.rawValue): \(values.count) ok; ms \(Self.percentiles(values))")
        }
        lines.append(
            "wake after the change: \(wakes.count) woken, \(missed) missed; s \(Self.percentiles(wakes.sorted()))")
        return lines.joined(separator: "\n")
    }

    static func percentiles(_ sorted: [Double]) -> String {
        guard !sorted.isEmpty else { return "none" }
        func at(_ p: Double) -> String {
            String(format: "%.2f", sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
        }
        return "p50 \(at(0.5)) p90 \(at(0.9)) p99 \(at(0.99)) max \(at(1))"
    }
}
