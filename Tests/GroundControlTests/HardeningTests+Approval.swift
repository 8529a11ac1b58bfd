import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import GroundControlClient
import SatelliteProtocol
import TestSupport
import Testing

/// Issue 25.1: whoever may enrol satellites must not thereby read what their role may not. An
/// operator enrols, the satellite's credential reads its state; so a satellite an operator's
/// token registered gets no registry password and no site credential until an admin approves it.
extension HardeningTests {
    /// An operator and an admin, and a registry with a password, a group on it and one without any.
    private static func seedRoles(_ api: APIHarness) async throws -> (operator: String, admin: String) {
        let password = "a long enough password"
        for (name, role) in [("olga", "operator"), ("ada", "admin")] {
            #expect(
                try await api.admin(
                    "PUT", "/api/v1/users/\(name)", json: #"{"role":"\#(role)","password":"\#(password)"}"#
                ).status == 201)
        }
        func login(_ name: String) async throws -> String {
            let basic = "Basic " + Data("\(name):\(password)".utf8).base64EncodedString()
            return try await api.send("POST", "/api/v1/tokens", headers: ["Authorization": basic]).decode(
                PersonalToken.self
            ).token
        }
        let digest = "sha256:" + String(repeating: "cd", count: 32)
        _ = try await api.admin(
            "PUT", "/api/v1/registries/central",
            json: #"{"url":"http://127.0.0.1:5000","username":"robot","password":"s3cret"}"#)
        _ = try await api.admin("PUT", "/api/v1/registries/open", json: #"{"url":"http://127.0.0.1:5001"}"#)
        _ = try await api.admin(
            "PUT", "/api/v1/groups/edge",
            json: #"{"registry":"central","artifacts":[{"repository":"apps/web","digest":"\#(digest)"}]}"#)
        _ = try await api.admin(
            "PUT", "/api/v1/groups/public",
            json: #"{"registry":"open","artifacts":[{"repository":"apps/web","digest":"\#(digest)"}]}"#)
        return (try await login("olga"), try await login("ada"))
    }

    private static func register(_ api: APIHarness, _ token: RegistrationToken) async throws -> String {
        try await api.send("POST", "/api/v1/register", json: #"{"token":"\#(token.token)"}"#).decode(
            RegistrationResponse.self
        ).credential
    }

    private static func create(_ api: APIHarness, _ json: String, as token: String) async throws -> RegistrationToken {
        try await api.send("POST", "/api/v1/satellites", token: token, json: json).decode(RegistrationToken.self)
    }

    /// A refusal that names the approval and carries no secret.
    private static func expectAwaitingApproval(_ reply: GroundControlClient.Reply, _ comment: Comment) {
        let body = String(decoding: reply.body, as: UTF8.self)
        #expect(reply.status == 403 && reply.error?.code == "APPROVAL_REQUIRED", comment)
        #expect(!body.contains("s3cret") && !body.contains("site_"), comment)
    }

    @Test func anOperatorsSatelliteGetsNoRegistryPasswordUntilAnAdminApprovesIt() async throws {
        try await APIHarness.run { api in
            let (operatorToken, adminToken) = try await Self.seedRoles(api)

            // Straight: enrolled in a group whose registry has a password.
            let credential = try await Self.register(
                api, try await Self.create(api, #"{"name":"x","groups":["edge"]}"#, as: operatorToken))
            Self.expectAwaitingApproval(
                try await api.send("GET", "/api/v1/state", token: credential), "enrolled in the group")
            #expect(
                try await api.admin("GET", "/api/v1/satellites/x").decode(SatelliteView.self).awaitingApproval == true)

            // What holds no secret goes out: a satellite of a registry without a password syncs.
            let plain = try await Self.register(
                api, try await Self.create(api, #"{"name":"p","groups":["public"]}"#, as: operatorToken))
            #expect(try await api.send("GET", "/api/v1/state", token: plain).status == 200)
            // Around: the group is added afterwards, and a long-poll woken by that change answers
            // with the refusal, not with the state.
            let etag = try #require(try await api.send("GET", "/api/v1/state", token: plain).headers["etag"])
            async let woken = api.send("GET", "/api/v1/state?wait=30", token: plain, headers: ["If-None-Match": etag])
            try await poll("the long-poll to wait") {
                String(decoding: try await api.send("GET", "/metrics").body, as: UTF8.self).contains(
                    "ground_control_long_polls 1")
            }
            #expect(try await api.send("PUT", "/api/v1/satellites/p/groups/edge", token: operatorToken).status == 200)
            Self.expectAwaitingApproval(try await woken, "the group added later, to a waiting long-poll")
            // Around: the registry behind a group it holds gains a password (by an admin, later).
            let later = try await Self.register(
                api, try await Self.create(api, #"{"name":"q","groups":["public"]}"#, as: operatorToken))
            _ = try await api.admin(
                "PUT", "/api/v1/registries/open",
                json: #"{"url":"http://127.0.0.1:5001","username":"u","password":"s3cret"}"#)
            Self.expectAwaitingApproval(
                try await api.send("GET", "/api/v1/state", token: later), "the registry gained a password")

            // Around: a new token for a satellite an admin enrolled, registered by the operator.
            let vouched = try await Self.register(
                api, try await Self.create(api, #"{"name":"v","groups":["edge"]}"#, as: adminToken))
            #expect(
                String(decoding: try await api.send("GET", "/api/v1/state", token: vouched).body, as: UTF8.self)
                    .contains("s3cret"))
            let retoken = try await api.send("POST", "/api/v1/satellites/v/token", token: operatorToken).decode(
                RegistrationToken.self)
            // The admin's credential keeps working until the operator's token is used.
            #expect(try await api.send("GET", "/api/v1/state", token: vouched).status == 200)
            let taken = try await Self.register(api, retoken)
            Self.expectAwaitingApproval(
                try await api.send("GET", "/api/v1/state", token: taken),
                "an operator's token for an approved satellite")

            // Only an admin approves; then the state carries the password.
            #expect(try await api.send("POST", "/api/v1/satellites/x/approve", token: operatorToken).status == 403)
            Self.expectAwaitingApproval(
                try await api.send("GET", "/api/v1/state", token: credential), "after the operator's try")
            let approved = try await api.send("POST", "/api/v1/satellites/x/approve", token: adminToken)
            let approvedView = try approved.decode(SatelliteView.self)
            #expect(approved.status == 200 && approvedView.awaitingApproval == nil)
            #expect(
                String(decoding: try await api.send("GET", "/api/v1/state", token: credential).body, as: UTF8.self)
                    .contains("s3cret"))
            // Approval is of the credential an admin looked at: a new operator's token starts over.
            let again = try await Self.register(
                api,
                try await api.send("POST", "/api/v1/satellites/x/token", token: operatorToken).decode(
                    RegistrationToken.self))
            Self.expectAwaitingApproval(
                try await api.send("GET", "/api/v1/state", token: again), "re-enrolled by the operator after approval")

            let audit = try await api.admin("GET", "/api/v1/audit?action=satellite.approve").decode([AuditEntry].self)
            #expect(audit.map(\.actor) == ["user:ada"] && audit.map(\.target) == ["x"])
        }
    }

    @Test func anOperatorsSatelliteGetsNoSiteCredentialAndIsNoPeerUntilApproved() async throws {
        try await APIHarness.run { api in
            let (operatorToken, adminToken) = try await Self.seedRoles(api)
            // A member an admin enrolled, at site hamburg.
            let member = try await Self.register(
                api,
                try await Self.create(
                    api, #"{"name":"m","groups":["public"],"labels":{"site":"hamburg"}}"#, as: adminToken))
            let siteCredential = try #require(
                try await api.send("GET", "/api/v1/state", token: member).decode(DesiredState.self).site?.credential)

            // The operator labels a new satellite into the site, in a group without any password.
            let intruder = try await Self.register(
                api,
                try await Self.create(
                    api, #"{"name":"i","groups":["public"],"labels":{"site":"hamburg"}}"#, as: operatorToken))
            let refused = try await api.send("GET", "/api/v1/state", token: intruder)
            Self.expectAwaitingApproval(refused, "joined a site")
            #expect(!String(decoding: refused.body, as: UTF8.self).contains(siteCredential))
            // It advertises itself; the site's members must not present their credential to it.
            let report = #"{"generation":0,"inventory":[],"advertisedURL":"http://127.0.0.1:6001"}"#
            #expect(try await api.send("POST", "/api/v1/status", token: intruder, json: report).status == 200)
            #expect(try await api.send("GET", "/api/v1/state", token: member).decode(DesiredState.self).peers == nil)
            // Around: a bundle of an approved member carries the site's credential: admins only.
            let bundle = try await api.send("GET", "/api/v1/satellites/m/bundle", token: operatorToken)
            #expect(bundle.status == 403 && bundle.error?.code == "FORBIDDEN")
            #expect(!String(decoding: bundle.body, as: UTF8.self).contains(siteCredential))

            // Approved, it gets the credential and its members list it.
            #expect(try await api.send("POST", "/api/v1/satellites/i/approve", token: adminToken).status == 200)
            #expect(
                try await api.send("GET", "/api/v1/state", token: intruder).decode(DesiredState.self).site?.credential
                    == siteCredential)
            #expect(
                try await api.send("GET", "/api/v1/state", token: member).decode(DesiredState.self).peers == [
                    .init(url: "http://127.0.0.1:6001")
                ])
        }
    }
}
