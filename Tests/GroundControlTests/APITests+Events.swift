import Foundation
import Testing

extension APITests {
    /// Bad input to the webhook secret and the events endpoint: refused with a 4xx naming what is
    /// wrong, and nothing kept.
    @Test func webhookSecretsAndEventsRefuseBadInput() async throws {
        try await APIHarness.run { api in
            let short = try await api.admin(
                "PUT", "/api/v1/registries/central", json: #"{"url":"http://127.0.0.1:5000","webhookSecret":"short"}"#)
            #expect(short.status == 400 && String(decoding: short.body, as: UTF8.self).contains("webhookSecret"))
            #expect(try await api.admin("GET", "/api/v1/registries/central").status == 404, "nothing kept")

            let secret = "webhook-secret-0123456789"
            let made = try await api.admin(
                "PUT", "/api/v1/registries/central",
                json: #"{"url":"http://127.0.0.1:5000","webhookSecret":"\#(secret)"}"#)
            #expect(
                made.status == 201 && !String(decoding: made.body, as: UTF8.self).contains(secret),
                "the secret is never shown")

            #expect(
                try await api.send("POST", "/api/v1/events/harbor", json: #"{"type":"PUSH_ARTIFACT"}"#).status == 401)
            #expect(
                try await api.send("POST", "/api/v1/events/harbor", json: "{", headers: ["Authorization": secret])
                    .status == 400)
            #expect(
                try await api.send(
                    "POST", "/api/v1/events/harbor", json: #"{"type":7}"#,
                    headers: ["Authorization": "Bearer " + secret]
                ).status == 400)
            let ignored = try await api.send(
                "POST", "/api/v1/events/harbor", json: #"{"type":"REPLICATION"}"#, headers: ["Authorization": secret])
            #expect(ignored.status == 202 && String(decoding: ignored.body, as: UTF8.self).contains("false"))
        }
    }
}
