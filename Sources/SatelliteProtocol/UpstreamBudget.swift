import ZoneInfo

/// How many bytes a satellite may fetch from its upstreams per calendar day or month (UTC):
/// `5GiB/month`, `200MiB/day`. Units are powers of 1024 (`B`, `KiB`, `MiB`, `GiB`, `TiB`; `K`,
/// `M`, `G`, `T` as well).
public struct UpstreamBudget: Sendable, Equatable, CustomStringConvertible {
    public enum Period: String, Sendable, CaseIterable {
        case day
        case month
    }

    public let bytes: Int64
    public let period: Period

    public init(parsing text: String) throws(SettingTextError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw SettingTextError(
                text, is: "an upstream budget", "write BYTES/day or BYTES/month, as in '5GiB/month'")
        }
        guard let period = Period(rawValue: parts[1].lowercased()) else {
            throw SettingTextError(
                text, is: "an upstream budget", "'\(parts[1])' is not day or month")
        }
        var amount = String(parts[0])
        for suffix in ["iB", "ib", "B", "b"] where amount.hasSuffix(suffix) && amount.count > suffix.count {
            amount.removeLast(suffix.count)
            break
        }
        guard let bytes = ByteSize.parse(amount) else {
            throw SettingTextError(
                text, is: "an upstream budget",
                "'\(parts[0])' is not a positive number of bytes (KiB, MiB, GiB, TiB allowed)")
        }
        self.bytes = bytes
        self.period = period
    }

    /// The canonical spelling: the largest unit that divides the count (`5GiB/month`).
    public var description: String {
        let units: [(String, Int64)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        let unit = units.first { bytes % $0.1 == 0 }
        return (unit.map { "\(bytes / $0.1)\($0.0)" } ?? "\(bytes)B") + "/\(period.rawValue)"
    }

    /// The calendar period (UTC) an instant falls in: `2026-12-07` or `2026-12`.
    public static func key(of period: Period, at instant: Int64) -> String {
        let (year, month, date) = CivilTime.date(ofDay: CivilTime.floorDiv(instant, CivilTime.secondsPerDay))
        let month2 = month < 10 ? "0\(month)" : "\(month)"
        let date2 = date < 10 ? "0\(date)" : "\(date)"
        return period == .day ? "\(year)-\(month2)-\(date2)" : "\(year)-\(month2)"
    }
}
