import ZoneInfo

/// A weekly time in a named zone when a satellite may use its upstream links:
/// `Mon-Fri 22:00-05:00 Europe/Berlin`.
///
/// Days are `Mon` … `Sun`, ranges (`Mon-Fri`, `Fri-Mon` across the weekend), lists of either
/// (`Mon,Wed,Fri-Sun`) or `daily`. The times are the zone's wall clock; a window that ends
/// before it starts runs past midnight into the next day, so `Fri 22:00-05:00` closes on
/// Saturday at 05:00. `24:00` ends a window at midnight (`00:00-24:00` is the whole day). A
/// window that ends when it starts is refused: it would be nothing or everything.
public struct SyncWindow: Sendable, Equatable, CustomStringConvertible {
    /// Bit n set: open on weekday n, 0 Sunday … 6 Saturday (the start day of a window that wraps).
    public let days: UInt8
    /// Minutes after midnight, 0 ..< 1440.
    public let start: Int
    /// Minutes after midnight, 1 … 1440; below `start` when the window runs past midnight.
    public let end: Int
    public let zone: String

    static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

    public init(parsing text: String) throws(SettingTextError) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3 else {
            throw SettingTextError(
                text, is: "a sync window", "write DAYS HH:MM-HH:MM ZONE, as in 'Mon-Fri 22:00-05:00 Europe/Berlin'")
        }
        days = try Self.days(String(parts[0]), in: text)
        let times = parts[1].split(separator: "-", omittingEmptySubsequences: false)
        guard times.count == 2 else {
            throw SettingTextError(
                text, is: "a sync window", "'\(parts[1])' is not HH:MM-HH:MM")
        }
        guard let start = Self.minutes(times[0]), start < 1440 else {
            throw SettingTextError(
                text, is: "a sync window", "'\(times[0])' is not a time from 00:00 to 23:59")
        }
        guard let end = Self.minutes(times[1]), end <= 1440 else {
            throw SettingTextError(
                text, is: "a sync window", "'\(times[1])' is not a time from 00:00 to 24:00")
        }
        guard start != end else {
            throw SettingTextError(
                text, is: "a sync window", "it ends when it starts (00:00-24:00 is a whole day)")
        }
        self.start = start
        self.end = end == 0 ? 1440 : end
        zone = String(parts[2])
        guard ZoneDatabase.isZoneName(zone) else {
            throw SettingTextError(
                text, is: "a sync window", "'\(zone)' is not a time zone name (Area/City, as in Europe/Berlin)")
        }
    }

    /// Whether the window runs past midnight into the next day.
    public var wraps: Bool { end <= start }

    /// Whether the window is open at `instant` (seconds since the epoch), read on the wall clock
    /// of `rules`: across a change of the clocks, what the clock on the wall says decides.
    public func isOpen(at instant: Int64, rules: ZoneRules) -> Bool {
        let local = instant + rules.offset(at: instant)
        let day = CivilTime.floorDiv(local, CivilTime.secondsPerDay)
        let minute = Int(CivilTime.floorMod(local, CivilTime.secondsPerDay) / 60)
        let weekday = CivilTime.weekday(ofDay: day)
        if !wraps { return isDay(weekday) && minute >= start && minute < end }
        return (isDay(weekday) && minute >= start) || (isDay((weekday + 6) % 7) && minute < end)
    }

    private func isDay(_ weekday: Int) -> Bool { days & (1 << weekday) != 0 }

    /// The canonical spelling: days as a list of ranges, times as HH:MM.
    public var description: String {
        "\(Self.describe(days)) \(Self.clock(start))-\(Self.clock(end)) \(zone)"
    }

    private static func clock(_ minutes: Int) -> String {
        let hours = minutes / 60
        let rest = minutes % 60
        return (hours < 10 ? "0" : "") + "\(hours):" + (rest < 10 ? "0" : "") + "\(rest)"
    }

    private static func describe(_ days: UInt8) -> String {
        if days == 0x7F { return "daily" }
        // Monday first, as the week is written.
        let order = [1, 2, 3, 4, 5, 6, 0]
        var runs: [String] = []
        var index = 0
        while index < order.count {
            guard days & (1 << order[index]) != 0 else {
                index += 1
                continue
            }
            var last = index
            while last + 1 < order.count, days & (1 << order[last + 1]) != 0 { last += 1 }
            runs.append(
                last == index ? dayNames[order[index]] : "\(dayNames[order[index]])-\(dayNames[order[last]])")
            index = last + 1
        }
        return runs.joined(separator: ",")
    }

    private static func days(_ text: String, in window: String) throws(SettingTextError) -> UInt8 {
        if text.lowercased() == "daily" { return 0x7F }
        var mask: UInt8 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = item.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count <= 2, let first = weekday(ends[0]), let last = weekday(ends[ends.count - 1]) else {
                throw SettingTextError(
                    window, is: "a sync window",
                    "'\(item)' is not a day (Mon … Sun), a range of days (Mon-Fri) or daily")
            }
            var day = first
            while true {
                mask |= 1 << day
                if day == last { break }
                day = (day + 1) % 7
            }
        }
        return mask
    }

    private static func weekday(_ name: Substring) -> Int? {
        dayNames.firstIndex { $0.lowercased() == name.lowercased() }
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...24).contains(hours),
            (0..<60).contains(minutes), hours < 24 || minutes == 0
        else { return nil }
        return hours * 60 + minutes
    }
}

/// A setting written as text (a sync window, an upstream budget) that cannot be read, with
/// what is wrong with it.
public struct SettingTextError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    /// What the text was meant to be: `a sync window`, `an upstream budget`.
    public let kind: String
    public let problem: String

    init(_ text: String, is kind: String, _ problem: String) {
        self.text = text
        self.kind = kind
        self.problem = problem
    }

    public var description: String { "'\(text)' is not \(kind): \(problem)" }
}
