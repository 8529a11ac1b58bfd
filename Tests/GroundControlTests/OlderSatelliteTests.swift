import FleetAPI
import Foundation
import GroundControlClient
import SatelliteProtocol
import TestSupport
import Testing

/// A satellite of release 0.2.0 with this Ground Control (issue 30): it speaks only what that
/// release's protocol documents define (Tests/IntegrationTests/Fixtures/protocol-0.2.0), and
/// every reply it gets must hold what those documents promise it, typed as they say. It never
/// sends a quiet heartbeat, long-polls with its own wait, and stays online on full heartbeats.
@Suite struct OlderSatelliteTests {
    static let document = APITests.repository + "/Tests/IntegrationTests/Fixtures/protocol-0.2.0/openapi.json"

    @Test func aSatelliteOfTheLastReleaseGetsWhatItsDocumentsPromise() async throws {
        let document = try OpenAPIDocument(path: Self.document)
        try await APIHarness.run { api in
            _ = try await api.seedRegisteredSatellite()
            let token = try await api.admin("POST", "/api/v1/satellites", json: #"{"name":"old","groups":["edge"]}"#)
                .decode(RegistrationToken.self).token
            let registered = try await api.send("POST", "/api/v1/register", json: #"{"token":"\#(token)"}"#)
            try document.check(registered, "POST", "/api/v1/register")
            let credential = try registered.decode(RegistrationResponse.self).credential

            let state = try await api.send("GET", "/api/v1/state", token: credential)
            try document.check(state, "GET", "/api/v1/state")
            let etag = try #require(state.headers["etag"])
            let report = #"{"generation":1,"inventory":[],"diskUsedBytes":5,"diskFreeBytes":6,"version":"0.2.0"}"#
            for _ in 0..<2 {
                let beat = try await api.send("POST", "/api/v1/status", token: credential, json: report)
                try document.check(beat, "POST", "/api/v1/status")
            }
            let poll = try await api.send(
                "GET", "/api/v1/state?wait=1", token: credential, headers: ["If-None-Match": etag])
            #expect(poll.status == 304)
            try await TestSupport.poll("the old satellite's heartbeat to count") {
                let view = try await api.admin("GET", "/api/v1/satellites/old").decode(SatelliteView.self)
                return view.state == "online" && view.appliedGeneration == 1
            }
        }
    }
}

/// What an OpenAPI 3.1 document says of a reply: the properties it requires, and their JSON types.
/// Read once and never changed, so it may be shared.
struct OpenAPIDocument: @unchecked Sendable {
    let root: [String: Any]

    init(path: String) throws {
        guard
            let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
                as? [String: Any]
        else { throw TestSupportError("\(path): not a JSON object") }
        self.root = root
    }

    /// Fails unless `reply`'s status is one the operation lists and its JSON body fits the schema.
    func check(_ reply: GroundControlClient.Reply, _ method: String, _ path: String) throws {
        let operation = (root["paths"] as? [String: Any])?[path] as? [String: Any]
        guard let responses = (operation?[method.lowercased()] as? [String: Any])?["responses"] as? [String: Any],
            let response = responses[String(reply.status)] as? [String: Any]
        else { throw TestSupportError("\(method) \(path): \(reply.status) is not in the document") }
        let content = response["content"] as? [String: Any]
        guard let schema = (content?["application/json"] as? [String: Any])?["schema"] as? [String: Any] else { return }
        try fits(try JSONSerialization.jsonObject(with: reply.body), schema, at: "\(method) \(path)")
    }

    private func fits(_ value: Any, _ schema: [String: Any], at place: String) throws {
        let schema = try resolved(schema)
        if let type = schema["type"] as? String, !Self.isType(value, type) {
            throw TestSupportError("\(place): \(type) expected, got \(value)")
        }
        if let object = value as? [String: Any] {
            for name in schema["required"] as? [String] ?? [] where object[name] == nil {
                throw TestSupportError("\(place).\(name): required by the document, missing")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (name, property) in properties {
                guard let inner = object[name], !(inner is NSNull), let property = property as? [String: Any] else {
                    continue
                }
                try fits(inner, property, at: "\(place).\(name)")
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { try fits(item, items, at: "\(place)[\(index)]") }
        }
    }

    private func resolved(_ schema: [String: Any]) throws -> [String: Any] {
        guard let reference = schema["$ref"] as? String else { return schema }
        let name = reference.split(separator: "/").last.map(String.init) ?? ""
        let schemas = (root["components"] as? [String: Any])?["schemas"] as? [String: Any]
        guard let target = schemas?[name] as? [String: Any] else { throw TestSupportError("no schema \(reference)") }
        return try resolved(target)
    }

    private static func isType(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "object": value is [String: Any]
        case "array": value is [Any]
        case "string": value is String
        case "boolean": value is Bool
        case "integer", "number": value is NSNumber
        default: true
        }
    }
}
