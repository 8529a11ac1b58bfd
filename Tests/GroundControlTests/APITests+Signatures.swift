import Foundation
import Testing

extension APITests {
    /// A group's signature policy: keys that are not usable public keys are refused with a 400
    /// naming the key, nothing is kept; a good policy is shown back with the group.
    @Test func groupSignaturePoliciesRefuseKeysNoSatelliteCouldUse() async throws {
        try await APIHarness.run { api in
            #expect(
                try await api.admin("PUT", "/api/v1/registries/central", json: #"{"url":"http://127.0.0.1:5000"}"#)
                    .status == 201)
            let artifacts = #""artifacts":[{"repository":"apps/web","tag":"v1"}]"#
            for (verification, field) in [
                (#"{"keys":[]}"#, "verification.keys"),
                (#"{"keys":["ssh-ed25519 AAAA"]}"#, "verification.keys[0]"),
                (#"{"keys":["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]}"#, "verification.keys[0]"),
                (#"{"keys":"one"}"#, "keys"),
            ] {
                let reply = try await api.admin(
                    "PUT", "/api/v1/groups/edge",
                    json: #"{"registry":"central",\#(artifacts),"verification":\#(verification)}"#)
                let text = String(decoding: reply.body, as: UTF8.self)
                #expect(reply.status == 400 && text.contains(field), "\(verification) -> \(reply.status) \(text)")
            }
            #expect(try await api.admin("GET", "/api/v1/groups/edge").status == 404, "nothing kept")

            let key =
                """
                -----BEGIN PUBLIC \
                KEY-----\\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\\n-----END PUBLIC \
                KEY-----\\n
                """
            let made = try await api.admin(
                "PUT", "/api/v1/groups/edge",
                json: #"{"registry":"central",\#(artifacts),"verification":{"keys":["\#(key)"],"required":false}}"#)
            let text = String(decoding: made.body, as: UTF8.self)
            #expect(
                made.status == 201 && text.contains(#""required":false"#) && text.contains("BEGIN PUBLIC KEY"),
                "\(text)")
        }
    }
}
