import FleetAPI
import Foundation
import SatelliteProtocol
import Testing

extension APITests {
    /// Rollouts over the API: any role reads them, only an operator or admin acts on them, a bad
    /// policy is a 400 naming the field, and an action a rollout's state does not take is a 400.
    @Test func rolloutsAreReadByAnyRoleAndMovedOnlyByOperators() async throws {
        try await APIHarness.run { api in
            _ = try await api.seedRegisteredSatellite()
            let password = "a long enough password"
            let (viewer, operatorToken) = try await api.viewerAndOperatorTokens(password: password)
            func group(_ byte: String, _ policy: String) -> String {
                let digest = "sha256:" + String(repeating: byte, count: 32)
                let artifacts = #"[{"repository":"apps/web","digest":"\#(digest)"}]"#
                return #"{"registry":"central","artifacts":\#(artifacts),"rollout":"\#(policy)"}"#
            }

            let bad = try await api.admin("PUT", "/api/v1/groups/edge", json: group("cd", "waves=50%"))
            #expect(bad.status == 400 && bad.error?.code == "FIELD_INVALID")
            #expect(bad.error?.message.hasPrefix("rollout: ") == true, "\(bad.error?.message ?? "")")
            let policy = "waves=1,100%;soak=1h"
            #expect(try await api.admin("PUT", "/api/v1/groups/edge", json: group("cd", policy)).status == 200)
            #expect(try await api.send("GET", "/api/v1/groups/edge").status == 401)
            let shown = try await api.send("GET", "/api/v1/groups/edge", token: viewer).decode(GroupView.self)
            #expect(shown.rollout == "waves=1,100%;soak=1h;max-failed=0")
            #expect(try await api.admin("PUT", "/api/v1/groups/edge", json: group("ef", policy)).status == 200)

            let listed = try await api.send("GET", "/api/v1/rollouts?group=edge", token: viewer).decode(
                [RolloutView].self)
            #expect(listed.count == 1 && listed[0].state == "running" && listed[0].progress[0].members == ["s1"])
            let byID = try await api.send("GET", "/api/v1/rollouts/\(listed[0].id)", token: viewer)
            #expect(try byID.decode(RolloutView.self).group == "edge")
            for verb in ["pause", "resume", "abort", "promote"] {
                let refused = try await api.send("POST", "/api/v1/rollouts/edge/\(verb)", token: viewer)
                #expect(refused.status == 403, "a viewer's \(verb) answered \(refused.status)")
            }
            let paused = try await api.send("POST", "/api/v1/rollouts/edge/pause", token: operatorToken)
            #expect(try paused.decode(RolloutView.self).state == "paused")
            let again = try await api.send("POST", "/api/v1/rollouts/edge/pause", token: operatorToken)
            #expect(again.status == 400 && again.error?.code == "ROLLOUT_FINISHED")
            let aborted = try await api.send("POST", "/api/v1/rollouts/\(listed[0].id)/abort", token: operatorToken)
            #expect(try aborted.decode(RolloutView.self).state == "aborted")
            let audit = try await api.admin("GET", "/api/v1/audit?action=rollout.").decode([AuditEntry].self)
            #expect(audit.contains { $0.action == "rollout.aborted" && $0.actor == "user:olga" })

            #expect(
                try await api.send("GET", "/api/v1/rollouts/424242", token: viewer).error?.code == "ROLLOUT_UNKNOWN")
            #expect(try await api.send("GET", "/api/v1/rollouts/Not%20a%20name", token: viewer).status == 400)
            #expect(try await api.send("GET", "/api/v1/rollouts?limit=0", token: viewer).status == 400)
        }
    }
}
