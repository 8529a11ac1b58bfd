import FleetAPI
import Foundation
import GroundControlClient
import SatelliteProtocol
import Testing

extension APITests {
    /// `POST /api/v1/satellites/batch`: many satellites in one request, for operators and
    /// admins only; each token registers its own satellite, and a malformed body is refused.
    @Test func satellitesAreCreatedInBatchesByOperatorsAndEachTokenRegistersItsOwn() async throws {
        try await APIHarness.run { api in
            _ = try await api.seedRegisteredSatellite()
            let people = try await api.viewerAndOperatorTokens(password: "a long enough password")
            let names = (0..<300).map { "b\($0)" }
            let body = try String(
                decoding: APIJSON.encoder().encode(
                    SatelliteBatch(satellites: names.map { SatelliteDefinition(name: $0, groups: ["edge"]) })),
                as: UTF8.self)

            let refused = try await api.send("POST", "/api/v1/satellites/batch", token: people.viewer, json: body)
            #expect(refused.status == 403 && refused.error?.code == "FORBIDDEN")
            #expect(try await api.send("POST", "/api/v1/satellites/batch", json: body).status == 401)
            let unknownField = #"{"satellites":[{"name":"x","groups":[]}],"more":1}"#
            let strict = try await api.admin("POST", "/api/v1/satellites/batch", json: unknownField)
            #expect(strict.status == 400 && strict.error?.message.contains("more") == true, "\(strict.errorMessage)")
            #expect(try await api.admin("GET", "/api/v1/satellites").decode([SatelliteView].self).count == 1)

            let created = try await api.send("POST", "/api/v1/satellites/batch", token: people.operator, json: body)
            #expect(created.status == 201, "\(created.errorMessage)")
            let tokens = try created.decode(RegistrationTokens.self).tokens
            #expect(tokens.map(\.name) == names)
            // Each registers its own satellite; made by an operator, each awaits an admin's approval.
            for token in tokens.prefix(3) {
                let registered = try await api.send("POST", "/api/v1/register", json: #"{"token":"\#(token.token)"}"#)
                #expect(try registered.decode(RegistrationResponse.self).name == token.name)
                let view = try await api.admin("GET", "/api/v1/satellites/\(token.name)").decode(SatelliteView.self)
                #expect(view.awaitingApproval == true, "\(token.name)")
            }
            #expect(try await api.admin("GET", "/api/v1/satellites").decode([SatelliteView].self).count == 301)
            let again = try await api.admin("POST", "/api/v1/satellites/batch", json: body)
            #expect(again.status == 409 && again.error?.message.hasPrefix("satellites[0]: ") == true)
        }
    }
}
