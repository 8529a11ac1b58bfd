import FleetDomain
import Foundation
import GroundControl
import Testing

extension APITests {
    /// Every route the API document names, called with no credential, with a satellite's where a
    /// person's is needed, and with a person's where a satellite's is: only the public ones
    /// answer, so no route was added outside its group's authentication.
    @Test func everyRouteButThePublicOnesNeedsItsKindOfCredential() async throws {
        try await APIHarness.run { api in
            let satellite = try await api.seedRegisteredSatellite()
            let document = try #require(
                try JSONSerialization.jsonObject(with: Data(GroundControlDocument.openAPI.utf8)) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let open: Set<String> = [
                "GET /api/v1/public-key", "POST /api/v1/register", "GET /healthz", "GET /readyz", "GET /metrics",
                "GET /openapi.json",
            ]
            let satellites: Set<String> = [
                "GET /api/v1/state", "POST /api/v1/status", "POST /api/v1/certificate",
                "POST /api/v1/serving-certificate",
            ]
            var checked = 0
            for (template, operations) in paths.sorted(by: { $0.key < $1.key }) {
                let path = template.replacingOccurrences(of: "{name}", with: "s1").replacingOccurrences(
                    of: "{group}", with: "edge"
                ).replacingOccurrences(of: "{rollout}", with: "edge")
                for method in operations.keys where method != "parameters" {
                    let route = "\(method.uppercased()) \(template)"
                    guard !open.contains(route) else { continue }
                    checked += 1
                    let anonymous = try await api.send(method.uppercased(), path, json: "{}")
                    #expect(anonymous.status == 401, "\(route) without a credential answered \(anonymous.status)")
                    // A person's token is not a satellite's credential, nor the other way round.
                    let wrong = satellites.contains(route) ? APIHarness.adminToken : satellite.credential
                    let mistaken = try await api.send(method.uppercased(), path, token: wrong, json: "{}")
                    #expect(
                        mistaken.status == 401, "\(route) with the wrong kind of credential answered \(mistaken.status)"
                    )
                }
            }
            #expect(checked >= 36)
        }
    }
}
