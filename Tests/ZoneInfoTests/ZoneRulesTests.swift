import Foundation
import TestSupport
import Testing
import ZoneInfo

/// Zone rules from the machine's tz database, checked against Foundation's own time zones
/// (ICU's data, a separate reading of the same source) and against known changes of the clocks.
struct ZoneRulesTests {
    static let database = ZoneDatabase(directory: ZoneDatabase.defaultDirectory)

    /// Seconds since the epoch of a UTC date and time.
    static func utc(_ year: Int64, _ month: Int, _ day: Int, _ hour: Int64 = 0, _ minute: Int64 = 0) -> Int64 {
        CivilTime.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60
    }

    @Test func civilTimeRoundTripsEveryDayOfFourCenturies() {
        var day = CivilTime.days(year: 1800, month: 1, day: 1)
        var year: Int64 = 1800
        while year < 2200 {
            for month in 1...12 {
                for date in 1...CivilTime.daysIn(month: month, of: year) {
                    #expect(CivilTime.days(year: year, month: month, day: date) == day)
                    let back = CivilTime.date(ofDay: day)
                    #expect(back.year == year && back.month == month && back.day == date)
                    day += 1
                }
            }
            year += 1
        }
        #expect(CivilTime.weekday(ofDay: 0) == 4, "1970-01-01 was a Thursday")
        #expect(CivilTime.weekday(ofDay: CivilTime.days(year: 2026, month: 12, day: 7)) == 1, "a Monday")
    }

    /// Every six hours from 1970 to 2045, in zones north and south, with half and quarter hours:
    /// the offsets agree with Foundation's. Morocco's clocks follow Ramadan, which each tz
    /// release predicts anew (and 2026's releases changed): two releases agree on its past only,
    /// so Casablanca is compared up to 2026.
    @Test(arguments: [
        "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/St_Johns",
        "Pacific/Chatham", "Asia/Kathmandu", "America/Sao_Paulo", "Africa/Casablanca", "Europe/Dublin",
    ])
    func offsetsAgreeWithFoundation(_ name: String) throws {
        let rules = try Self.database.rules(for: name)
        let zone = try #require(TimeZone(identifier: name))
        var instant = Self.utc(1970, 1, 1)
        var disagreements: [String] = []
        let end = name == "Africa/Casablanca" ? Self.utc(2026, 1, 1) : Self.utc(2045, 1, 1)
        while instant < end {
            let expected = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant)))
            if rules.offset(at: instant) != Int64(expected) && disagreements.count < 5 {
                disagreements.append("\(instant): \(rules.offset(at: instant)) against \(expected)")
            }
            instant += 6 * 3600
        }
        #expect(disagreements.isEmpty, "\(name)")
    }

    @Test func theBerlinChangesOf2026() throws {
        let berlin = try Self.database.rules(for: "Europe/Berlin")
        // Spring: 02:00 CET becomes 03:00 CEST at 01:00 UTC on the last Sunday of March.
        #expect(berlin.offset(at: Self.utc(2026, 3, 29, 0, 59)) == 3600)
        #expect(berlin.offset(at: Self.utc(2026, 3, 29, 1, 0)) == 7200)
        // Autumn: 03:00 CEST becomes 02:00 CET at 01:00 UTC on the last Sunday of October.
        #expect(berlin.offset(at: Self.utc(2026, 10, 25, 0, 59)) == 7200)
        #expect(berlin.offset(at: Self.utc(2026, 10, 25, 1, 0)) == 3600)
        // Past the file's last transition, its footer rule decides.
        #expect(berlin.offset(at: Self.utc(2100, 7, 1)) == 7200 && berlin.offset(at: Self.utc(2100, 12, 1)) == 3600)
    }

    @Test func posixRulesNorthSouthAndFixed() throws {
        let central = try #require(PosixZoneRule("CET-1CEST,M3.5.0,M10.5.0/3"))
        #expect(central.offset(at: Self.utc(2027, 3, 28, 0, 59)) == 3600)
        #expect(central.offset(at: Self.utc(2027, 3, 28, 1, 0)) == 7200)
        // Sydney: daylight time from October to April, across the new year.
        let sydney = try #require(PosixZoneRule("AEST-10AEDT,M10.1.0,M4.1.0/3"))
        #expect(sydney.offset(at: Self.utc(2027, 1, 15)) == 11 * 3600)
        #expect(sydney.offset(at: Self.utc(2027, 6, 15)) == 10 * 3600)
        // 03:00 AEDT on 2027-04-04 is 16:00 UTC the day before.
        #expect(sydney.offset(at: Self.utc(2027, 4, 3, 15, 59)) == 11 * 3600)
        #expect(sydney.offset(at: Self.utc(2027, 4, 3, 16, 0)) == 10 * 3600)
        let plusThree = try #require(PosixZoneRule("<+03>-3"))
        #expect(plusThree.offset(at: 0) == 10_800 && plusThree.daylight == nil)
        #expect(PosixZoneRule("UTC0")?.offset(at: 0) == 0)
        #expect(PosixZoneRule("<-0330>3:30")?.offset(at: 0) == -12_600)
        // Julian days skip February 29: J60 is March 1 in any year.
        let julian = try #require(PosixZoneRule("XST0XDT,J60/0,J300/0"))
        #expect(julian.offset(at: Self.utc(2028, 2, 29, 23, 59)) == 0)
        #expect(julian.offset(at: Self.utc(2028, 3, 1)) == 3600)
        for bad in ["", "C", "CET", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0", "CET-200", "<+03-3"] {
            #expect(PosixZoneRule(bad) == nil, "\(bad)")
        }
    }

    @Test func namesAreCheckedBeforeTheyBecomePaths() throws {
        for name in ["../etc/passwd", "/etc/passwd", "Europe/../../etc", ".hidden", "Europe//Berlin", "", "-x", "a b"] {
            #expect(throws: ZoneInfoError.invalidName(name)) { try Self.database.rules(for: name) }
        }
        #expect(throws: ZoneInfoError.unknownZone("Mars/Olympus", directory: ZoneDatabase.defaultDirectory)) {
            try Self.database.rules(for: "Mars/Olympus")
        }
        #expect(throws: ZoneInfoError.unknownZone("Europe", directory: ZoneDatabase.defaultDirectory)) {
            try Self.database.rules(for: "Europe")
        }
        // UTC needs no database; no database is said so.
        let nowhere = ZoneDatabase(directory: "/nonexistent/zoneinfo")
        #expect(try nowhere.rules(for: "UTC").offset(at: 0) == 0)
        #expect(throws: ZoneInfoError.noDatabase(directory: "/nonexistent/zoneinfo")) {
            try nowhere.rules(for: "Europe/Berlin")
        }
    }

    /// A link inside the database is an alias; one that leads out of it, or a file that is not
    /// TZif, is refused.
    @Test func linksOutOfTheDatabaseAndForeignFilesAreRefused() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zoneinfo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/Europe", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/usr/share/zoneinfo/Europe/Berlin", toPath: root + "/Europe/Berlin")
        try FileManager.default.createSymbolicLink(atPath: root + "/Europe/Alias", withDestinationPath: "Berlin")
        try FileManager.default.createSymbolicLink(atPath: root + "/Europe/Out", withDestinationPath: "/etc/hostname")
        try Data("not a zone".utf8).write(to: URL(fileURLWithPath: root + "/Europe/Junk"))
        var cut = try Data(contentsOf: URL(fileURLWithPath: root + "/Europe/Berlin"))
        cut.removeLast(cut.count / 2)
        try cut.write(to: URL(fileURLWithPath: root + "/Europe/Cut"))
        let database = ZoneDatabase(directory: root)
        #expect(try database.rules(for: "Europe/Alias").offset(at: Self.utc(2026, 7, 1)) == 7200)
        #expect(throws: ZoneInfoError.unknownZone("Europe/Out", directory: root)) {
            try database.rules(for: "Europe/Out")
        }
        for name in ["Europe/Junk", "Europe/Cut"] {
            #expect {
                try database.rules(for: name)
            } throws: { error in
                if case .invalidFile(name, _)? = error as? ZoneInfoError { return true }
                return false
            }
        }
    }
}

extension ZoneRulesTests {
    /// A tz database file is read from disk, where anything may lie: cut, flipped and grown copies
    /// of a real one, and footers of random bytes, are refused or read, never a crash.
    @Test func damagedFilesAreRefusedNotTrusted() throws {
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Europe/Berlin")))
        var generator = SeededGenerator(seed: 20_261_207)
        var refused = 0
        for round in 0..<3000 {
            var bytes = original
            switch round % 4 {
            case 0: bytes.removeLast(Int.random(in: 1..<bytes.count, using: &generator))
            case 1:
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
            case 2:
                // The counts in either header, where a wrong one would read past the end.
                let offset = 20 + 4 * Int.random(in: 0..<6, using: &generator)
                if offset + 4 <= bytes.count {
                    for index in offset..<offset + 4 { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
                }
            default:
                bytes += (0..<Int.random(in: 1...64, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            }
            do {
                let rules = try ZoneRules(tzif: bytes, name: "Fuzz/Zone")
                _ = rules.offset(at: Int64.random(in: -4_000_000_000...8_000_000_000, using: &generator))
            } catch {
                refused += 1
            }
        }
        #expect(refused > 0)
        for _ in 0..<3000 {
            let text = String(
                decoding: (0..<Int.random(in: 0...24, using: &generator)).map { _ in
                    Array("CETMSD<>+-,./:0123456789J".utf8).randomElement(using: &generator) ?? 0
                }, as: UTF8.self)
            _ = PosixZoneRule(text)?.offset(at: Int64.random(in: -4_000_000_000...8_000_000_000, using: &generator))
        }
    }
}
