/// The rule a TZif file's footer gives for every time after its last transition, in the POSIX
/// `TZ` syntax with RFC 8536's extensions: `CET-1CEST,M3.5.0,M10.5.0/3`, `<+03>-3`, `UTC0`.
///
/// Offsets here are seconds east of UTC (POSIX writes them west, so `CET-1` is +3600).
public struct PosixZoneRule: Sendable, Equatable {
    public let standardOffset: Int64
    /// Daylight-saving time, when the zone has it.
    public let daylight: Daylight?

    public struct Daylight: Sendable, Equatable {
        public let offset: Int64
        public let start: Transition
        public let end: Transition
    }

    /// A day of the year and the local wall time on it (seconds, −167 h … 167 h) a change happens at.
    public struct Transition: Sendable, Equatable {
        public enum Day: Sendable, Equatable {
            /// `Jn`: 1…365, February 29 never counted.
            case julian(Int)
            /// `n`: 0…365, February 29 counted in leap years.
            case zeroBased(Int)
            /// `Mm.w.d`: weekday d (0 Sunday) of week w (5: the last) of month m.
            case monthWeek(month: Int, week: Int, weekday: Int)
        }

        public let day: Day
        public let time: Int64
    }

    public init?(_ text: String) {
        var scanner = RuleScanner(Array(text.utf8))
        guard scanner.name(), let standard = scanner.offset() else { return nil }
        standardOffset = -standard
        if scanner.atEnd {
            daylight = nil
            return
        }
        guard scanner.name() else { return nil }
        var daylightOffset = standardOffset + 3600
        if let explicit = scanner.offset() { daylightOffset = -explicit }
        let start: Transition
        let end: Transition
        if scanner.atEnd {
            // No rule given: POSIX leaves it to the implementation; the US rule is what zic assumes.
            start = Transition(day: .monthWeek(month: 3, week: 2, weekday: 0), time: 7200)
            end = Transition(day: .monthWeek(month: 11, week: 1, weekday: 0), time: 7200)
        } else {
            guard scanner.skip(","), let first = scanner.transition(), scanner.skip(","),
                let second = scanner.transition(), scanner.atEnd
            else { return nil }
            (start, end) = (first, second)
        }
        daylight = Daylight(offset: daylightOffset, start: start, end: end)
    }

    /// Seconds east of UTC at `instant` (seconds since the epoch, UTC).
    public func offset(at instant: Int64) -> Int64 {
        guard let daylight else { return standardOffset }
        let year = CivilTime.year(ofDay: CivilTime.floorDiv(instant + standardOffset, CivilTime.secondsPerDay))
        // Each change is given in the wall time in force just before it.
        let starts = daylight.start.instant(in: year, wallOffset: standardOffset)
        let ends = daylight.end.instant(in: year, wallOffset: daylight.offset)
        let inDaylight = starts < ends ? (instant >= starts && instant < ends) : !(instant >= ends && instant < starts)
        return inDaylight ? daylight.offset : standardOffset
    }
}

extension PosixZoneRule.Transition {
    /// The UTC instant of this change in `year`, its wall time read at `wallOffset`.
    func instant(in year: Int64, wallOffset: Int64) -> Int64 {
        let day: Int64
        let january1 = CivilTime.days(year: year, month: 1, day: 1)
        switch self.day {
        case .julian(let n):
            let leapShift: Int64 = CivilTime.isLeap(year) && n >= 60 ? 1 : 0
            day = january1 + Int64(n - 1) + leapShift
        case .zeroBased(let n):
            day = january1 + Int64(n)
        case .monthWeek(let month, let week, let weekday):
            let first = CivilTime.days(year: year, month: month, day: 1)
            var date = 1 + (weekday - CivilTime.weekday(ofDay: first) + 7) % 7 + (week - 1) * 7
            if date > CivilTime.daysIn(month: month, of: year) { date -= 7 }
            day = first + Int64(date - 1)
        }
        return day * CivilTime.secondsPerDay + time - wallOffset
    }
}

/// Reads the parts of a POSIX `TZ` string.
private struct RuleScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skip(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue, current == ascii else { return false }
        index += 1
        return true
    }

    /// `CET` (three or more letters) or `<+03>` (letters, digits and signs in angle brackets).
    mutating func name() -> Bool {
        let start = index
        if skip("<") {
            while let byte = current, byte != UInt8(ascii: ">") {
                guard byte.isLetterOrDigit || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") else {
                    return false
                }
                index += 1
            }
            return skip(">") && index - start >= 5
        }
        while let byte = current, byte.isLetter { index += 1 }
        return index - start >= 3
    }

    /// `[+-]hh[:mm[:ss]]` in seconds, as written (west positive); hours up to 167.
    mutating func offset() -> Int64? {
        var sign: Int64 = 1
        if skip("-") { sign = -1 } else { _ = skip("+") }
        guard let hours = number(maximum: 167) else { return nil }
        var seconds = hours * 3600
        if skip(":") {
            guard let minutes = number(maximum: 59) else { return nil }
            seconds += minutes * 60
            if skip(":") {
                guard let rest = number(maximum: 59) else { return nil }
                seconds += rest
            }
        }
        return sign * seconds
    }

    mutating func transition() -> PosixZoneRule.Transition? {
        let day: PosixZoneRule.Transition.Day
        if skip("M") {
            guard let month = number(maximum: 12), month >= 1, skip("."), let week = number(maximum: 5), week >= 1,
                skip("."), let weekday = number(maximum: 6)
            else { return nil }
            day = .monthWeek(month: Int(month), week: Int(week), weekday: Int(weekday))
        } else if skip("J") {
            guard let n = number(maximum: 365), n >= 1 else { return nil }
            day = .julian(Int(n))
        } else {
            guard let n = number(maximum: 365) else { return nil }
            day = .zeroBased(Int(n))
        }
        var time: Int64 = 7200
        if skip("/") {
            guard let given = offset() else { return nil }
            time = given
        }
        return PosixZoneRule.Transition(day: day, time: time)
    }

    private mutating func number(maximum: Int64) -> Int64? {
        let start = index
        var value: Int64 = 0
        while let byte = current, byte.isDigit, index - start < 3 {
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            index += 1
        }
        return index > start && value <= maximum ? value : nil
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    fileprivate var isLetter: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z"))
            || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z"))
    }
    fileprivate var isLetterOrDigit: Bool { isDigit || isLetter }
}
