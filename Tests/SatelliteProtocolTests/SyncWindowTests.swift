import SatelliteProtocol
import Testing
import ZoneInfo

/// Weekly windows on a zone's wall clock: their syntax, what is refused, midnight and the
/// changes of the clocks.
struct SyncWindowTests {
    static let zones = ZoneDatabase(directory: ZoneDatabase.defaultDirectory)

    static func utc(_ year: Int64, _ month: Int, _ day: Int, _ hour: Int64 = 0, _ minute: Int64 = 0) -> Int64 {
        CivilTime.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60
    }

    static func open(_ window: String, at instant: Int64) throws -> Bool {
        let parsed = try SyncWindow(parsing: window)
        return parsed.isOpen(at: instant, rules: try zones.rules(for: parsed.zone))
    }

    @Test func spellingsAndTheirCanonicalForm() throws {
        let cases = [
            "Mon-Fri 22:00-05:00 Europe/Berlin": "Mon-Fri 22:00-05:00 Europe/Berlin",
            "mon,wed,fri 09:30-10:00 UTC": "Mon,Wed,Fri 09:30-10:00 UTC",
            "Fri-Mon 00:00-24:00 America/New_York": "Mon,Fri-Sun 00:00-24:00 America/New_York",
            "daily 01:00-02:00 Asia/Kolkata": "daily 01:00-02:00 Asia/Kolkata",
            "Mon-Sun 23:00-00:00 UTC": "daily 23:00-24:00 UTC",
        ]
        for (text, canonical) in cases {
            #expect(try SyncWindow(parsing: text).description == canonical)
        }
    }

    /// Each refusal names what is wrong.
    @Test func badWindowsAreRefusedWithTheProblem() {
        let cases = [
            "Mon-Fri 22:00-05:00": "DAYS HH:MM-HH:MM ZONE",
            "Mon-Fri 05:00-05:00 Europe/Berlin": "ends when it starts",
            "Mon 00:00-24:00 UTC Extra": "DAYS HH:MM-HH:MM ZONE",
            "Mon-Fri 25:00-05:00 UTC": "'25:00' is not a time",
            "Mon-Fri 22:00-24:01 UTC": "'24:01' is not a time",
            "Mon-Fri 2:00-05:00 UTC": "'2:00' is not a time",
            "Mon-Fri +1:00-05:00 UTC": "'+1:00' is not a time",
            "Mon-Fri 22:00 UTC": "is not HH:MM-HH:MM",
            "Mo-Fr 22:00-05:00 UTC": "is not a day",
            "Mon-Wed-Fri 22:00-05:00 UTC": "is not a day",
            "Mon, 22:00-05:00 UTC": "'' is not a day",
            "Mon 00:00-00:00 UTC": "ends when it starts",
            "Mon-Fri 22:00-05:00 ../../etc/passwd": "is not a time zone name",
        ]
        for (text, problem) in cases {
            #expect {
                try SyncWindow(parsing: text)
            } throws: { error in
                "\(error)".contains(problem) && "\(error)".contains(text)
            }
        }
    }

    @Test func aWindowPastMidnightClosesOnTheNextDay() throws {
        // 2026-12-04 was a Friday.
        let window = "Fri 22:00-05:00 UTC"
        #expect(try !Self.open(window, at: Self.utc(2026, 12, 4, 21, 59)))
        #expect(try Self.open(window, at: Self.utc(2026, 12, 4, 22, 0)))
        #expect(try Self.open(window, at: Self.utc(2026, 12, 5, 4, 59)))
        #expect(try !Self.open(window, at: Self.utc(2026, 12, 5, 5, 0)))
        #expect(try !Self.open(window, at: Self.utc(2026, 12, 3, 23, 0)), "Thursday night is not Friday's")
        #expect(try !Self.open(window, at: Self.utc(2026, 12, 6, 1, 0)), "nor Saturday night")
    }

    /// On 2026-10-25 Berlin's clocks go from 03:00 back to 02:00: a window from 01:30 to 03:30
    /// lasts three hours, the hour from 02:00 twice.
    @Test func aWindowAcrossTheAutumnChangeFollowsTheWallClock() throws {
        let window = "Sun 01:30-03:30 Europe/Berlin"
        #expect(try !Self.open(window, at: Self.utc(2026, 10, 24, 23, 29)), "01:29 CEST")
        #expect(try Self.open(window, at: Self.utc(2026, 10, 24, 23, 30)), "01:30 CEST")
        #expect(try Self.open(window, at: Self.utc(2026, 10, 25, 0, 30)), "02:30 CEST")
        #expect(try Self.open(window, at: Self.utc(2026, 10, 25, 1, 30)), "02:30 CET, the second time")
        #expect(try Self.open(window, at: Self.utc(2026, 10, 25, 2, 29)), "03:29 CET")
        #expect(try !Self.open(window, at: Self.utc(2026, 10, 25, 2, 30)), "03:30 CET")
        let schedule = SyncSchedule([window], zones: Self.zones)
        #expect(schedule.nextChange(after: Self.utc(2026, 10, 24, 12)) == Self.utc(2026, 10, 24, 23, 30))
        #expect(schedule.nextChange(after: Self.utc(2026, 10, 24, 23, 30)) == Self.utc(2026, 10, 25, 2, 30))
    }

    /// On 2026-03-29 Berlin's clocks skip from 02:00 to 03:00: a window from 02:30 opens at the
    /// first wall time past its start, 03:00, and lasts an hour.
    @Test func aWindowStartingInTheSkippedHourOpensWhenTheClockPassesIt() throws {
        let window = "Sun 02:30-04:00 Europe/Berlin"
        #expect(try !Self.open(window, at: Self.utc(2026, 3, 29, 0, 59)), "01:59 CET")
        #expect(try Self.open(window, at: Self.utc(2026, 3, 29, 1, 0)), "03:00 CEST")
        #expect(try Self.open(window, at: Self.utc(2026, 3, 29, 1, 59)), "03:59 CEST")
        #expect(try !Self.open(window, at: Self.utc(2026, 3, 29, 2, 0)), "04:00 CEST")
    }

    @Test func schedulesOpenWhenAnyWindowIsAndFailClosed() {
        let now = Self.utc(2026, 12, 7, 12)  // a Monday, noon UTC
        #expect(SyncSchedule([], zones: Self.zones).isOpen(at: now), "no windows: always")
        let two = SyncSchedule(["Mon 08:00-09:00 UTC", "Mon 11:00-13:00 UTC"], zones: Self.zones)
        #expect(two.isOpen(at: now) && two.nextChange(after: now) == Self.utc(2026, 12, 7, 13))
        // A zone this machine lacks never opens, and says so.
        let unknown = SyncSchedule(["daily 00:00-24:00 Mars/Olympus"], zones: Self.zones)
        #expect(!unknown.isOpen(at: now) && unknown.nextChange(after: now) == nil)
        #expect(unknown.problems.count == 1 && unknown.problems[0].contains("Mars/Olympus"))
        let noDatabase = SyncSchedule(
            ["daily 00:00-24:00 Europe/Berlin"], zones: ZoneDatabase(directory: "/nonexistent/zoneinfo"))
        #expect(!noDatabase.isOpen(at: now) && noDatabase.problems[0].contains("no tz database"))
    }
}
