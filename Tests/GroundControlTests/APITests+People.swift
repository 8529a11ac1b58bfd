import FleetAPI
import Foundation
import SatelliteProtocol
import Testing

extension APITests {
    /// People with roles: each sees and changes only what their role allows, their changes are
    /// audited under their name, and password guessing is locked out.
    @Test func eachRoleDoesOnlyWhatItAllowsAndTheAuditNamesThePerson() async throws {
        try await APIHarness.run { api in
            let password = "a long enough password"
            for (name, role) in [("vera", "viewer"), ("olga", "operator"), ("ada", "admin")] {
                let put = try await api.admin(
                    "PUT", "/api/v1/users/\(name)", json: #"{"role":"\#(role)","password":"\#(password)"}"#)
                #expect(put.status == 201, "\(String(decoding: put.body, as: UTF8.self))")
            }
            #expect(
                try await api.admin("PUT", "/api/v1/users/bad", json: #"{"role":"root"}"#).error?.code
                    == "FIELD_INVALID")
            #expect(
                try await api.admin("PUT", "/api/v1/users/bad", json: #"{"role":"viewer","password":"short"}"#).error?
                    .code == "FIELD_INVALID")

            func login(
                _ name: String, _ secret: String = password
            ) async throws -> (status: Int, token: String?, code: String?) {
                let basic = "Basic " + Data("\(name):\(secret)".utf8).base64EncodedString()
                let reply = try await api.send("POST", "/api/v1/tokens", headers: ["Authorization": basic])
                return (reply.status, try? reply.decode(PersonalToken.self).token, reply.error?.code)
            }
            let viewer = try #require(try await login("vera").token)
            let operatorToken = try #require(try await login("olga").token)
            let adminToken = try #require(try await login("ada").token)
            #expect(
                try await api.send("GET", "/api/v1/whoami", token: operatorToken).decode(Identity.self)
                    == Identity(user: "olga", role: "operator"))

            let registry = #"{"url":"http://127.0.0.1:5000"}"#
            let group = #"{"registry":"central","artifacts":[{"repository":"apps/web","tag":"v1"}]}"#
            // The viewer reads and changes nothing.
            #expect(
                try await api.send("PUT", "/api/v1/registries/central", token: viewer, json: registry).error?.code
                    == "FORBIDDEN")
            #expect(
                try await api.send("PUT", "/api/v1/registries/central", token: adminToken, json: registry).status == 201
            )
            #expect(try await api.send("GET", "/api/v1/registries", token: viewer).status == 200)
            let refused = try await api.send("PUT", "/api/v1/groups/edge", token: viewer, json: group)
            #expect(refused.status == 403 && refused.error?.message.contains("viewer") == true)
            // The operator runs groups and satellites, not registries or people.
            #expect(try await api.send("PUT", "/api/v1/groups/edge", token: operatorToken, json: group).status == 201)
            #expect(
                try await api.send(
                    "POST", "/api/v1/satellites", token: operatorToken, json: #"{"name":"s1","groups":["edge"]}"#
                ).status == 201)
            #expect(try await api.send("DELETE", "/api/v1/registries/central", token: operatorToken).status == 403)
            #expect(try await api.send("GET", "/api/v1/users", token: operatorToken).status == 403)
            #expect(
                try await api.send("GET", "/api/v1/users", token: adminToken).decode([UserView].self).map(\.name) == [
                    "ada", "olga", "vera",
                ])
            // Audited under the person's name; no secret in the log.
            let audit = try await api.admin("GET", "/api/v1/audit").decode([AuditEntry].self)
            #expect(audit.contains { $0.actor == "user:olga" && $0.action.hasPrefix("group") }, "\(audit)")
            #expect(audit.contains { $0.actor == "user:ada" && $0.action.hasPrefix("registry") }, "\(audit)")
            #expect(
                !String(decoding: try await api.admin("GET", "/api/v1/audit").body, as: UTF8.self).contains(password))

            // The bootstrap token is not a person; a person renews with their own token.
            #expect(try await api.admin("POST", "/api/v1/tokens").error?.code == "FIELD_INVALID")
            #expect(
                try await api.send("POST", "/api/v1/tokens", token: viewer, json: #"{"expiresInDays":7}"#).status == 201
            )

            // Five wrong passwords lock the name out, right password or not; others are unaffected.
            for _ in 0..<5 { #expect(try await login("vera", "wrong password here").status == 401) }
            let locked = try await login("vera")
            #expect(locked.status == 429 && locked.code == "TOO_MANY_ATTEMPTS", "\(locked)")
            #expect(try await login("olga").status == 201)
            #expect(try await api.send("POST", "/api/v1/tokens").status == 401)

            // Deleted, a person's tokens stop working.
            #expect(try await api.send("DELETE", "/api/v1/users/olga", token: adminToken).status == 204)
            #expect(try await api.send("GET", "/api/v1/groups", token: operatorToken).status == 401)
        }
    }
}
