import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import OCI
import SatelliteProtocol
import Testing

extension FleetContractTests {
    /// Registers a satellite of site `hamburg` and has it advertise `url` in a heartbeat.
    static func joinSite(_ fleet: Fleet, _ name: String, url: String?, site: String = "hamburg") async throws {
        let token = try await fleet.satellites.create(
            SatelliteDefinition(name: name, groups: ["edge"], labels: ["site": site]))
        _ = try await fleet.register(token: token.token, publicKey: "k")
        _ = try await fleet.satellites.recordHeartbeat(
            try Self.name(name), StatusReport(generation: 0, inventory: [], advertisedURL: url))
    }

    /// The `site` label puts satellites in a site: each one's state lists the others that advertise
    /// an address, with a credential Ground Control derives and rotates with the satellites' own.
    @Test(arguments: Backend.allCases)
    func aSitesSatellitesListEachOtherWithASharedCredential(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            try await Self.joinSite(fleet, "s1", url: "http://10.0.0.1:5050")
            try await Self.joinSite(fleet, "s2", url: "HTTP://10.0.0.2:5050/")
            try await Self.joinSite(fleet, "s3", url: nil)
            try await Self.joinSite(fleet, "far", url: "http://10.9.0.1:5050", site: "lisbon")

            let s1 = try await fleet.desiredState(of: try Self.name("s1"))
            try s1.validate()
            #expect(
                s1.peers == [.init(url: "http://10.0.0.2:5050")], "the others that advertise, normalised; never itself")
            let s3 = try await fleet.desiredState(of: try Self.name("s3"))
            #expect(s3.peers?.map(\.url) == ["http://10.0.0.1:5050", "http://10.0.0.2:5050"])
            // Every other member by its certificate's ID, advertising or not (s3 does not).
            let ids = "spiffe://harbor-satellite.local/satellite/"
            #expect(s1.site?.memberIDs == [ids + "s2", ids + "s3"] && s3.site?.memberIDs == [ids + "s1", ids + "s2"])
            let credential = try #require(s1.site?.credential)
            #expect(s1.site?.name == "hamburg" && s3.site?.credential == credential)
            #expect(credential.count >= DesiredState.Site.minimumCredentialLength)
            let far = try await fleet.desiredState(of: try Self.name("far"))
            #expect(far.peers == nil && far.site?.credential != credential, "another site, another credential")

            // A new address reaches the others' states, with a new generation.
            let before = try await fleet.generation(of: try Self.name("s1"))
            _ = try await fleet.satellites.recordHeartbeat(
                try Self.name("s2"), StatusReport(generation: 0, inventory: [], advertisedURL: "http://10.0.0.22:5050"))
            #expect(
                try await fleet.desiredState(of: try Self.name("s1")).peers == [.init(url: "http://10.0.0.22:5050")])
            #expect(try await fleet.generation(of: try Self.name("s1")) > before)

            // Rotation: a new credential, the old one still accepted.
            try await fleet.satellites.requestRotation(try Self.name("s1"))
            let rotated = try #require(try await fleet.desiredState(of: try Self.name("s3")).site)
            #expect(rotated.credential != credential && rotated.previousCredential == credential)

            // Revoking a member moves past every credential it knew, and drops it from the list.
            try await fleet.satellites.revoke(try Self.name("s2"))
            let after = try await fleet.desiredState(of: try Self.name("s3"))
            #expect(
                after.site?.credential != rotated.credential && after.site?.previousCredential != rotated.credential)
            #expect(after.site?.previousCredential != credential)
            #expect(after.peers == [.init(url: "http://10.0.0.1:5050")])

            let sites = try await fleet.sites.all()
            #expect(sites.map(\.name) == ["hamburg", "lisbon"])
            #expect(sites.first?.satellites == ["s1", "s2", "s3"] && sites.first?.peers == 1)

            await expectFailure(.invalidField) {
                _ = try await fleet.satellites.create(
                    SatelliteDefinition(name: "bad", groups: ["edge"], labels: ["site": "Not A Site"]))
            }
            await expectFailure(.invalidField) {
                _ = try await fleet.satellites.recordHeartbeat(
                    try Self.name("s1"), StatusReport(generation: 0, inventory: [], advertisedURL: "ftp://x"))
            }
        }
    }
}

extension FleetContractTests {
    /// A site's windows are kept by every store, reach its members' states with a new
    /// generation, and yield to a member's own; a one-off window is kept per satellite.
    @Test(arguments: Backend.allCases)
    func siteWindowsAndOneOffWindowsAreKept(_ backend: Backend) async throws {
        try await withFleet(backend) { fleet, _ in
            try await Self.seed(fleet)
            try await Self.joinSite(fleet, "s1", url: nil)
            let before = try await fleet.generation(of: try Self.name("s1"))
            let windows = SiteSettings(syncWindows: ["Mon-Fri 22:00-05:00 Europe/Berlin"], outsideWindow: "defer")
            #expect(try await fleet.sites.setSettings(windows, of: "hamburg") == windows)
            // A site no satellite is in yet keeps its settings too.
            _ = try await fleet.sites.setSettings(SiteSettings(syncWindows: ["daily 01:00-02:00 UTC"]), of: "oslo")
            let state = try await fleet.desiredState(of: try Self.name("s1"))
            #expect(state.syncWindows == .init(windows: windows.syncWindows ?? [], outsideWindow: "defer"))
            #expect(try await fleet.generation(of: try Self.name("s1")) > before)
            #expect(try await fleet.sites.all().first { $0.name == "hamburg" }?.settings == windows)

            var own = SatelliteSettings.defaults
            own.syncWindows = ["Sat 00:00-24:00 UTC"]
            try await fleet.satellites.updateSettings(own, of: try Self.name("s1"))
            #expect(try await fleet.desiredState(of: try Self.name("s1")).syncWindows?.windows == own.syncWindows)

            _ = try await fleet.sites.setSettings(SiteSettings(), of: "hamburg")
            #expect(try await fleet.sites.all().first { $0.name == "hamburg" }?.settings == nil, "cleared")

            let id = try await fleet.satellites.syncNow(try Self.name("s1"))
            #expect(try await fleet.desiredState(of: try Self.name("s1")).syncNow == id)
            await expectFailure(.satelliteUnknown) { _ = try await fleet.satellites.syncNow(try Self.name("ghost")) }
        }
    }
}
