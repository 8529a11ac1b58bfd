import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A plain HTTP GET for assertions about what the registry serves.
func httpGet(_ url: String, headers: [String: String] = [:]) async throws -> (status: Int, headers: [String: String], body: Data) {
    guard let parsed = URL(string: url) else { throw URLError(.badURL) }
    var request = URLRequest(url: parsed)
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = try require(response as? HTTPURLResponse, "not an HTTP response")
    var fields: [String: String] = [:]
    for (key, value) in http.allHeaderFields {
        if let key = key as? String, let value = value as? String { fields[key.lowercased()] = value }
    }
    return (http.statusCode, fields, data)
}
