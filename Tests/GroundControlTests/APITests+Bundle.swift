import Foundation
import Testing

extension APITests {
    /// What a bundle cannot be is refused before the first byte, as an API error: no admin token,
    /// a bad or unknown base, an unknown satellite, an upstream that cannot give the content.
    @Test func bundleRequestsThatCannotBeMetAreRefusedBeforeAnyByte() async throws {
        try await APIHarness.run { api in
            _ = try await api.seedRegisteredSatellite()
            let noAdmin = try await api.send("GET", "/api/v1/satellites/s1/bundle")
            #expect(noAdmin.status == 401 && noAdmin.error?.code == "UNAUTHORIZED")
            for (path, status, code) in [
                ("/api/v1/satellites/s1/bundle?since=soon", 400, "FIELD_INVALID"),
                ("/api/v1/satellites/s1/bundle?since=0", 400, "FIELD_INVALID"),
                ("/api/v1/satellites/nobody/bundle", 404, "SATELLITE_UNKNOWN"),
                ("/api/v1/satellites/s1/bundle?since=7", 409, "BUNDLE_BASE_UNKNOWN"),
                // The group's registry (127.0.0.1:5000) does not answer.
                ("/api/v1/satellites/s1/bundle", 502, "UPSTREAM_FAILED"),
            ] {
                let reply = try await api.admin("GET", path)
                #expect(
                    reply.status == status && reply.error?.code == code,
                    "\(path): \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
                #expect(reply.headers["content-type"]?.contains("json") == true, "\(path)")
            }
            #expect(try await api.admin("POST", "/api/v1/satellites/s1/revoke").status == 204)
            let revoked = try await api.admin("GET", "/api/v1/satellites/s1/bundle")
            #expect(revoked.status == 403 && revoked.error?.code == "SATELLITE_REVOKED")
        }
    }
}
