import FleetAPI
import Foundation
import OCI
import SatelliteProtocol
import TestSupport
import Testing

/// Sync windows on a real satellite against a real upstream (docker-registry), its access log
/// counting every request: outside the windows nothing is asked of it, neither by the sync nor
/// by a device's miss, which gets a 404 saying why; a window that opens syncs at once; `allow`
/// lets misses through; Ground Control's `sync-now` opens one sync's worth.
@Suite("Sync windows") struct SyncWindowTests {
    /// A window closed now and for the next two days: an hour, three days on, in UTC.
    static var closedWindow: String {
        let today = CivilTimeDays.weekday(of: Date())
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        return "\(names[(today + 3) % 7]) 00:00-01:00 UTC"
    }

    static func windows(_ windows: [String], outside: String = "defer") -> String {
        "\nsyncWindows:\n  windows: [\(windows.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
            + "  outsideWindow: \(outside)\n"
    }

    @Test func aClosedWindowAsksNothingUpstreamAndAnOpenOneSyncsAtOnce() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/pinned:1")
            try await upstream.push(layout: images.layout, name: "second", to: "library/app:1")
            let base =
                stateYAML(generation: 1, upstream: upstream, artifacts: ["repository: apps/pinned\ntag: \"1\""])
                + "\nproxy:\n  - upstream: central\n    repositories: [\"library/*\"]\n"
            let asked = upstream.requestLog.count
            let agent = try await SatelliteAgent(state: base + Self.windows([Self.closedWindow]))
            defer { agent.terminate() }
            let held = try await agent.waitForStatus("the sync held back by the window") {
                $0.lastSync?.artifacts.first?.reason == FailureReason.outsideSyncWindow.rawValue
            }
            #expect(held.link?.windowOpen == false && held.link?.windowChangesAt != nil, "\(held)")
            #expect(held.lastSync?.artifacts.first?.error?.contains("they open at") == true)

            // A device's miss: a 404 that says why, and still nothing asked upstream.
            let manifest = try await httpGet(
                agent.baseURL + "/v2/central/library/app/manifests/1", headers: ["Accept": MediaType.ociManifest])
            let body = String(decoding: manifest.body, as: UTF8.self)
            #expect(
                manifest.status == 404 && body.contains("MANIFEST_UNKNOWN") && body.contains("sync windows"), "\(body)")
            let blob = try await httpGet(agent.baseURL + "/v2/central/library/app/blobs/\(images.second.digest)")
            #expect(blob.status == 404 && String(decoding: blob.body, as: UTF8.self).contains("BLOB_UNKNOWN"))
            #expect(upstream.requestLog.count == asked, "\(upstream.requestLog.dropFirst(asked))")
            let status = try await run(
                try productPath("satellite"), ["status", "--data-dir", agent.dataDirectory], timeout: .seconds(20))
            #expect(status.output.contains("sync window: closed until"), "\(status.output)")

            // A window open now: the sync runs as soon as the state says so.
            let opened = ContinuousClock.now
            try agent.writeState(
                base.replacingOccurrences(of: "generation: 1", with: "generation: 2")
                    + Self.windows(["daily 00:00-24:00 UTC"]))
            try await agent.waitForStatus("synced once the window opened") {
                $0.allSynced && $0.lastSync?.generation == 2
            }
            #expect(ContinuousClock.now - opened < .seconds(15))
            #expect(upstream.requestLog.count > asked)

            // `allow`: outside the windows a device's miss is fetched all the same; the sync is not.
            try agent.writeState(
                base.replacingOccurrences(of: "generation: 1", with: "generation: 3")
                    + Self.windows([Self.closedWindow], outside: "allow"))
            try await agent.waitForStatus("the third state's sync") { $0.lastSync?.generation == 3 }
            let allowed = try await httpGet(
                agent.baseURL + "/v2/central/library/app/manifests/1", headers: ["Accept": MediaType.ociManifest])
            #expect(allowed.status == 200, "\(String(decoding: allowed.body, as: UTF8.self))")
        }
    }

    /// Ground Control's windows reach the satellite; `satctl satellites sync-now` lets one sync
    /// through a closed window, and `satctl satellites show` says where the window stands.
    @Test func syncNowOpensOneSyncThroughAClosedWindow() async throws {
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/app:v1")
            let server = try await GroundControlProcess(directory: work, adminToken: "admin")
            defer { Task { await server.stop() } }
            try await defineGroup(server, upstream: upstream, work: work, artifacts: ["apps/app:v1"])
            let token = try await createSatellite(
                server, "s1",
                options: ["--group", "edge", "--heartbeat-interval", "1", "--sync-window", Self.closedWindow])
            let agent = try await SatelliteAgent(
                state: nil, source: ["--ground-control", server.baseURL, "--token", token])
            defer { agent.terminate() }
            try await agent.waitForStatus("the sync held back by the window") {
                $0.lastSync?.artifacts.first?.reason == FailureReason.outsideSyncWindow.rawValue
            }
            // Ground Control resolves tags itself; the satellite's requests say who they are.
            #expect(!upstream.requestLog.contains { $0.contains("harbor-satellite/") }, "\(upstream.requestLog)")
            try await pollFor("the heartbeat to report the closed window") { () -> String? in
                let shown = try await satctl(server, token: "admin", ["satellites", "show", "s1"])
                return shown.contains("closed: upstreams not used") ? shown : nil
            }

            let output = try await satctl(server, token: "admin", ["satellites", "sync-now", "s1"])
            #expect(output.contains("s1"))
            try await agent.waitForStatus("the one-off sync") { $0.allSynced && $0.inventory.count == 1 }
            #expect(upstream.requestLog.contains { $0.contains("harbor-satellite/") }, "the log names the satellite")
            // The window is used: the next change waits for the windows again.
            try await upstream.push(layout: images.layout, name: "second", to: "apps/app:v2")
            let asked = upstream.requestLog.count
            try await satctl(
                server, token: "admin", ["groups", "put", "edge", "--registry", "central", "--artifact", "apps/app:v2"])
            try await agent.waitForStatus("the next change held back") { status in
                status.lastSync?.artifacts.contains { $0.reason == FailureReason.outsideSyncWindow.rawValue } == true
                    && status.link?.syncNowOpen == nil
            }
            let fromSatellite = upstream.requestLog.dropFirst(asked).filter { $0.contains("harbor-satellite/") }
            #expect(fromSatellite.isEmpty, "\(fromSatellite)")
        }
    }
}

/// The weekday of a date in UTC, 0 for Sunday.
enum CivilTimeDays {
    static func weekday(of date: Date) -> Int {
        let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
        return ((days + 4) % 7 + 7) % 7
    }
}
