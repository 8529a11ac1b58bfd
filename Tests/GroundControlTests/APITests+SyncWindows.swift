import FleetAPI
import Foundation
import SatelliteProtocol
import Testing

extension APITests {
    /// Sync windows over the API: a bad window, zone or miss setting is a 400 naming the field;
    /// a satellite's own windows win over its site's; a group's reach its artifacts, joined when
    /// two groups name the same one; `sync-now` gives the state a new one-off window, and only an
    /// operator or admin may open one.
    @Test func syncWindowsReachStatesAndBadOnesAreRefused() async throws {
        try await APIHarness.run { api in
            let s1 = try await api.seedRegisteredSatellite()
            func state() async throws -> DesiredState {
                try await api.send("GET", "/api/v1/state", token: s1.credential).decode(DesiredState.self)
            }
            let settings = #"{"syncIntervalSeconds":60,"heartbeatIntervalSeconds":30,"logLevel":"info""#
            let refusals = [
                (
                    "satellites/s1/settings", settings + #","syncWindows":["Mon-Fri 25:00-05:00 UTC"]}"#,
                    "settings.syncWindows[0]: "
                ),
                (
                    "satellites/s1/settings", settings + #","syncWindows":["daily 01:00-02:00 UTC","Mon 1-2 UTC"]}"#,
                    "settings.syncWindows[1]: "
                ),
                (
                    "satellites/s1/settings", settings + #","syncWindows":["Mon-Fri 22:00-05:00 Mars/Olympus"]}"#,
                    "settings.syncWindows[0]: "
                ),
                (
                    "satellites/s1/settings", settings + #","syncWindows":["Mon 05:00-05:00 UTC"]}"#,
                    "settings.syncWindows[0]: "
                ),
                ("satellites/s1/settings", settings + #","outsideWindow":"sometimes"}"#, "settings.outsideWindow: "),
                (
                    "sites/berlin/settings", #"{"syncWindows":["Mon-Fri 22:00-05:00 Europe/Nowhere"]}"#,
                    "syncWindows[0]: "
                ),
                ("sites/berlin/settings", #"{"outsideWindow":"later"}"#, "outsideWindow: "),
                ("sites/Not%20a%20site/settings", #"{"syncWindows":["daily 01:00-02:00 UTC"]}"#, "site: "),
                (
                    "groups/edge",
                    #"{"registry":"central","artifacts":[],"syncWindows":["Sun-Mon 10:00 UTC"]}"#, "syncWindows[0]: "
                ),
            ]
            for (path, body, field) in refusals {
                let reply = try await api.admin("PUT", "/api/v1/\(path)", json: body)
                #expect(reply.status == 400 && reply.error?.code == "FIELD_INVALID", "\(path): \(reply.status)")
                #expect(reply.error?.message.hasPrefix(field) == true, "\(reply.error?.message ?? "")")
            }
            let unknownZone = try await api.admin(
                "PUT", "/api/v1/satellites/s1/settings",
                json: settings + #","syncWindows":["Mon-Fri 22:00-05:00 Mars/Olympus"]}"#)
            #expect(unknownZone.error?.message.contains("not in the tz database") == true)
            #expect(try await state().syncWindows == nil, "nothing refused reached the state")

            // A site's windows reach its members; a member's own win.
            let token = try await api.admin(
                "POST", "/api/v1/satellites", json: #"{"name":"s2","groups":["edge"],"labels":{"site":"berlin"}}"#
            ).decode(RegistrationToken.self)
            let s2 = try await api.send("POST", "/api/v1/register", json: #"{"token":"\#(token.token)"}"#).decode(
                RegistrationResponse.self)
            let site = try await api.admin(
                "PUT", "/api/v1/sites/berlin/settings",
                json: #"{"syncWindows":["mon-fri 22:00-05:00 Europe/Berlin"],"outsideWindow":"allow"}"#)
            #expect(site.status == 200)
            #expect(try site.decode(SiteSettings.self).syncWindows == ["Mon-Fri 22:00-05:00 Europe/Berlin"])
            let s2State = try await api.send("GET", "/api/v1/state", token: s2.credential).decode(DesiredState.self)
            #expect(
                s2State.syncWindows == .init(windows: ["Mon-Fri 22:00-05:00 Europe/Berlin"], outsideWindow: "allow"))
            let sites = try await api.admin("GET", "/api/v1/sites").decode([SiteView].self)
            #expect(sites.first { $0.name == "berlin" }?.settings?.outsideWindow == "allow")
            let own = try await api.admin(
                "PUT", "/api/v1/satellites/s2/settings",
                json: settings + #","syncWindows":["Sat,Sun 00:00-24:00 UTC"]}"#)
            #expect(own.status == 200)
            let s2Own = try await api.send("GET", "/api/v1/state", token: s2.credential).decode(DesiredState.self)
            #expect(s2Own.syncWindows == .init(windows: ["Sat-Sun 00:00-24:00 UTC"], outsideWindow: "allow"))
            #expect(try await state().syncWindows == nil, "s1 is in no site")

            // A group's windows are its artifacts'; two groups naming one artifact join theirs.
            let digest = "sha256:" + String(repeating: "cd", count: 32)
            let artifacts = #"[{"repository":"apps/web","digest":"\#(digest)"}]"#
            for (group, window) in [("edge", "daily 01:00-02:00 UTC"), ("night", "daily 03:00-04:00 UTC")] {
                let put = try await api.admin(
                    "PUT", "/api/v1/groups/\(group)",
                    json: #"{"registry":"central","artifacts":\#(artifacts),"syncWindows":["\#(window)"]}"#)
                #expect(put.status == 200 || put.status == 201)
            }
            #expect(try await api.admin("PUT", "/api/v1/satellites/s1/groups/night").status < 300)
            let joined = try await state()
            #expect(joined.artifacts.count == 1)
            #expect(joined.artifacts.first?.syncWindows == ["daily 01:00-02:00 UTC", "daily 03:00-04:00 UTC"])

            // sync-now: a new one-off window in a new state, for operators and admins only.
            let password = "a long enough password"
            _ = try await api.admin("PUT", "/api/v1/users/vera", json: #"{"role":"viewer","password":"\#(password)"}"#)
            let basic = "Basic " + Data("vera:\(password)".utf8).base64EncodedString()
            let viewer = try await api.send("POST", "/api/v1/tokens", headers: ["Authorization": basic]).decode(
                PersonalToken.self
            ).token
            #expect(try await api.send("POST", "/api/v1/satellites/s1/sync-now", token: viewer).status == 403)
            let open = #"{"syncWindows":["daily 00:00-24:00 UTC"]}"#
            for token in [viewer, s1.credential] {
                let refused = try await api.send("PUT", "/api/v1/sites/berlin/settings", token: token, json: open)
                #expect(refused.status == 403 || refused.status == 401, "\(refused.status)")
                let syncNow = try await api.send("POST", "/api/v1/satellites/s2/sync-now", token: token)
                #expect(syncNow.status == 403 || syncNow.status == 401, "\(syncNow.status)")
            }
            #expect(try await api.admin("POST", "/api/v1/satellites/nobody/sync-now").status == 404)
            let before = try await state()
            let opened = try await api.admin("POST", "/api/v1/satellites/s1/sync-now")
            #expect(opened.status == 202)
            let after = try await state()
            #expect(after.syncNow != nil && after.syncNow != before.syncNow && after.generation > before.generation)
            _ = try await api.admin("POST", "/api/v1/satellites/s1/sync-now")
            #expect(try await state().syncNow != after.syncNow, "each request a window of its own")
            let audit = try await api.admin("GET", "/api/v1/audit?action=satellite.sync-now").decode([AuditEntry].self)
            #expect(audit.count == 2 && audit.allSatisfy { $0.target == "s1" })
        }
    }
}
