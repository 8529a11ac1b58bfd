import SatelliteProtocol
import Testing

struct UpstreamBudgetTests {
    @Test func spellingsAndTheirCanonicalForm() throws {
        let cases = [
            "5GiB/month": "5GiB/month", "5G/month": "5GiB/month", "1024MiB/Day": "1GiB/day",
            "1536KiB/day": "1536KiB/day", "1000/day": "1000B/day", "2TiB/month": "2TiB/month",
            "3MB/month": "3MiB/month",
        ]
        for (text, canonical) in cases {
            #expect(try UpstreamBudget(parsing: text).description == canonical, "\(text)")
        }
        #expect(try UpstreamBudget(parsing: "1MiB/month").bytes == 1 << 20)
    }

    @Test func badBudgetsNameTheProblem() {
        let cases = [
            "-1GiB/month": "not a positive number", "0/day": "not a positive number", "5GiB": "BYTES/day",
            "5GiB/week": "'week' is not day or month", "lots/month": "not a positive number",
            "9999999999TiB/month": "not a positive number", "5 GiB/month": "not a positive number",
            "5GiB/month/day": "BYTES/day",
        ]
        for (text, problem) in cases {
            #expect {
                try UpstreamBudget(parsing: text)
            } throws: { error in
                "\(error)".contains(problem) && "\(error)".contains(text)
            }
        }
    }

    @Test func periodsAreCalendarDaysAndMonthsInUTC() {
        // 2026-12-31T23:59:59Z and a second later.
        #expect(UpstreamBudget.key(of: .day, at: 1_798_761_599) == "2026-12-31")
        #expect(UpstreamBudget.key(of: .month, at: 1_798_761_599) == "2026-12")
        #expect(UpstreamBudget.key(of: .day, at: 1_798_761_600) == "2027-01-01")
        #expect(UpstreamBudget.key(of: .month, at: 1_798_761_600) == "2027-01")
    }
}
