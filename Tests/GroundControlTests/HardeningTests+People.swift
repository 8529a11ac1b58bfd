import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import GroundControlClient
import SatelliteProtocol
import TestSupport
import Testing

/// Issue 25.10: a name is a name to its end, and a token cannot be made to outlive itself.
extension HardeningTests {
    @Test func aNameWithAControlCharacterIsRefusedAndATokenMintsNoneThatOutlivesIt() async throws {
        try await APIHarness.run { api in
            let password = "a long enough password"
            #expect(
                try await api.admin("PUT", "/api/v1/users/vera", json: #"{"role":"viewer","password":"\#(password)"}"#)
                    .status == 201)
            func login(_ name: String, days: Int? = nil) async throws -> GroundControlClient.Reply {
                let basic = "Basic " + Data("\(name):\(password)".utf8).base64EncodedString()
                return try await api.send(
                    "POST", "/api/v1/tokens", json: days.map { #"{"expiresInDays":\#($0)}"# },
                    headers: ["Authorization": basic])
            }
            for name in ["vera\u{0}x", "vera\u{0}", "vera\n", "vera\u{7f}", "Vera", "vera "] {
                let reply = try await login(name)
                #expect(
                    reply.status == 400 && reply.error?.code == "NAME_INVALID",
                    "\(name.debugDescription): \(reply.status)")
            }
            let short = try await login("vera", days: 1).decode(PersonalToken.self)
            let minted = try await api.send(
                "POST", "/api/v1/tokens", token: short.token, json: #"{"expiresInDays":365}"#)
            #expect(minted.status == 201)
            let longer = try minted.decode(PersonalToken.self)
            #expect(
                longer.expiresAt <= short.expiresAt, "minted \(longer.expiresAt), minting token ends \(short.expiresAt)"
            )
            // With the password, the person may still ask for a long one.
            #expect(try await login("vera", days: 365).decode(PersonalToken.self).expiresAt > short.expiresAt)
        }
    }
}
