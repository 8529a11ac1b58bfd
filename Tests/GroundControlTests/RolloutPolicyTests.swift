import FleetAPI
import FleetDomain
import Testing

@Suite("Rollout policy")
struct RolloutPolicyTests {
    @Test(arguments: [
        ("waves=1,10%,50%,100%;soak=10m;max-failed=0", "waves=1,10%,50%,100%;soak=10m;max-failed=0"),
        ("waves=100%", "waves=100%;soak=0;max-failed=0"),
        (
            " waves=2,5,100% ; soak=1h30m ; order=canary=true",
            "waves=2,5,100%;soak=1h30m;max-failed=0;order=canary=true"
        ),
        ("waves=25%,100%;soak=90s;max-failed=3;order=site", "waves=25%,100%;soak=1m30s;max-failed=3;order=site"),
        ("waves=1,100%;soak=0;order=name", "waves=1,100%;soak=0;max-failed=0"),
    ])
    func aPolicyReadsAndWritesBackTheSame(_ raw: String, _ written: String) throws {
        let policy = try RolloutPolicy(raw)
        #expect(policy.description == written)
        #expect(try RolloutPolicy(policy.description) == policy)
    }

    @Test(arguments: [
        ("", "waves is required"),
        ("waves=1,50%", "the last must be 100%"),
        ("waves=50%,10%,100%", "above the one before"),
        ("waves=5,5,100%", "above the one before"),
        ("waves=10%,3,100%", "cannot follow a share"),
        ("waves=0,100%", "not a count"),
        ("waves=101%", "not a share"),
        ("waves=,100%", "not a count"),
        ("waves=100%;soak=ten", "soak must be a duration"),
        ("waves=100%;soak=10", "soak must be a duration"),
        ("waves=100%;soak=200h", "at most 7 days"),
        ("waves=100%;soak=99999999999999h", "soak must be a duration"),
        ("waves=100%;max-failed=-1", "max-failed"),
        ("waves=100%;max-failed=x", "max-failed"),
        ("waves=100%;order=region", "order must be"),
        ("waves=100%;order==x", "not a label"),
        ("waves=100%;waves=100%", "given twice"),
        ("waves=100%;speed=fast", "unknown key 'speed'"),
        ("waves", "not key=value"),
    ])
    func aBadPolicyIsRefusedNamingWhatIsWrong(_ raw: String, _ message: String) {
        #expect {
            _ = try RolloutPolicy(raw)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func wavesCutTheMembersInOrderAndKeepASiteTogether() throws {
        let names = (1...10).map { "s\(String(format: "%02d", $0))" }
        let canary = try RolloutPolicy("waves=1,30%,100%;order=canary=true")
        let candidates = names.map { RolloutCandidate(name: $0, labels: $0 == "s07" ? ["canary": "true"] : [:]) }
        let members = canary.members(candidates)
        #expect(members.map(\.name).prefix(3) == ["s07", "s01", "s02"])
        #expect(members.map(\.wave) == [1, 2, 2] + Array(repeating: 3, count: 7))

        // Three sites of three, four and three, and one without: 50% of eleven would cut the second.
        let sites = ["a", "a", "a", "b", "b", "b", "b", "c", "c", "c"]
        let bySite = try RolloutPolicy("waves=20%,50%,100%;order=site")
        let placed = bySite.members(
            zip(names, sites).map { RolloutCandidate(name: $0, site: $1) } + [RolloutCandidate(name: "lone")])
        let waves = Dictionary(placed.map { ($0.name, $0.wave) }) { first, _ in first }
        #expect(names.prefix(3).allSatisfy { waves[$0] == 1 })
        #expect(names[3..<7].allSatisfy { waves[$0] == 2 })
        #expect(names[7...].allSatisfy { waves[$0] == 3 } && waves["lone"] == 3)
        // A newcomer joins its site's wave; one without a site, the wave of the member before it.
        #expect(bySite.wave(ofNewcomer: RolloutCandidate(name: "z", site: "b"), among: placed) == 2)
        #expect(canary.wave(ofNewcomer: RolloutCandidate(name: "s015"), among: members) == 2)
        #expect(canary.wave(ofNewcomer: RolloutCandidate(name: "s00", labels: ["canary": "true"]), among: members) == 1)

        // More waves than members: the empty ones are passed over, never waited on.
        let few = try RolloutPolicy("waves=1,2,3,100%").members([RolloutCandidate(name: "only")])
        #expect(few.map(\.wave) == [1])
    }
}
