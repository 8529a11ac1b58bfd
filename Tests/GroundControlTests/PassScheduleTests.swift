import FleetDomain
import GroundControl
import Testing

@Suite struct PassScheduleTests {
    let start = ContinuousClock.now

    @Test func theFirstLookIsAPassAndAnUnchangedFleetWaitsForTheInterval() {
        var schedule = PassSchedule(interval: .seconds(30))
        #expect(schedule.isDue(revision: 7, at: start))
        schedule.passBegan(revision: 7, at: start)
        schedule.passEnded(succeeded: true)
        #expect(!schedule.isDue(revision: 7, at: start + .seconds(29)))
        #expect(!schedule.isDue(revision: nil, at: start + .seconds(29)))
        #expect(schedule.isDue(revision: 7, at: start + .seconds(30)))
    }

    @Test func aMovedRevisionIsAPassAtOnce() {
        var schedule = PassSchedule(interval: .seconds(30))
        schedule.passBegan(revision: 7, at: start)
        schedule.passEnded(succeeded: true)
        #expect(schedule.isDue(revision: 8, at: start + .seconds(1)))
        schedule.passBegan(revision: 8, at: start + .seconds(1))
        #expect(!schedule.isDue(revision: 8, at: start + .seconds(2)))
    }

    @Test func aFailedPassIsTriedAgainWithBackoffUpToTheInterval() {
        var schedule = PassSchedule(interval: .seconds(3))
        var now = start
        // Each failure doubles the wait from half a second: 1 s, 2 s, then the interval's 3 s.
        for wait in [1, 2, 3] {
            schedule.passBegan(revision: 1, at: now)
            schedule.passEnded(succeeded: false)
            #expect(!schedule.isDue(revision: 1, at: now + .seconds(wait) - .milliseconds(1)))
            now += .seconds(wait)
            #expect(schedule.isDue(revision: 1, at: now))
        }
        schedule.passBegan(revision: 1, at: now)
        schedule.passEnded(succeeded: true)
        #expect(!schedule.isDue(revision: 1, at: now + .seconds(2)))
    }
}
