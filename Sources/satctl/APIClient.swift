import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import SatelliteProtocol

/// A small JSON client for Ground Control's admin API.
struct APIClient {
    let baseURL: String
    let token: String
    private let http: HTTPClient

    init(baseURL: String, token: String) throws {
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            throw SatctlError("--url must start with http:// or https://, not '\(baseURL.prefix(80))'")
        }
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        http = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    /// Sends a request and returns the body of a 2xx reply; any other reply becomes its API error.
    func send(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<Empty>.none) async throws -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try APIJSON.encoder().encode(body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(30))
        } catch {
            throw SatctlError("cannot reach Ground Control at \(baseURL): \(error)")
        }
        let data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
        guard (200..<300).contains(response.status.code) else {
            if let failure = try? APIJSON.decoder().decode(APIErrorBody.self, from: data) {
                throw SatctlError("\(failure.code): \(failure.message)")
            }
            throw SatctlError("Ground Control answered \(response.status.code) \(response.status.reasonPhrase)")
        }
        return data
    }

    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try decode(type, try await send(.GET, path))
    }

    func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        do {
            return try APIJSON.decoder().decode(type, from: data)
        } catch {
            throw SatctlError("Ground Control's reply is not a \(type): \(error)")
        }
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    /// Runs `body` with a client and shuts it down afterwards, whatever happens.
    static func with<T>(_ options: ConnectionOptions, _ body: (APIClient) async throws -> T) async throws -> T {
        let client = try options.client()
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    struct Empty: Encodable {}
}

/// A failure satctl reports as one line and exit status 1.
struct SatctlError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Prints a value as JSON or through `table`.
func emit<T: Encodable>(_ value: T, _ format: OutputFormat, table: (T) -> [[String]]) throws {
    switch format {
    case .json:
        let encoder = APIJSON.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    case .table:
        print(renderTable(table(value)), terminator: "")
    }
}

/// Left-aligned columns separated by two spaces; the first row is the header.
func renderTable(_ rows: [[String]]) -> String {
    guard let header = rows.first else { return "" }
    var widths = header.map(\.count)
    for row in rows {
        for (index, cell) in row.enumerated() where index < widths.count {
            widths[index] = max(widths[index], cell.count)
        }
    }
    return rows.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
}

/// Dates in tables: ISO 8601 to the second, or `-`.
func show(_ date: Date?) -> String {
    guard let date else { return "-" }
    return ISO8601DateFormatter().string(from: date)
}

/// A name as one URL path segment: the server validates it; this keeps `/` and `?` from changing the path.
func segment(_ name: String) -> String {
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove(charactersIn: "/?#")
    return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
}
