import AsyncHTTPClient
import DurableFiles
import Foundation
import GroundControlClient
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import SatelliteProtocol

/// Ground Control's admin API for satctl: the admin token on every call, and any reply other
/// than 2xx turned into its API error.
struct APIClient {
    private let http: HTTPClient
    private let client: GroundControlClient
    let token: String

    /// `token` goes out as a bearer token; `authorization`, when given, is sent instead (a login).
    /// `caFile` holds the certificates to trust for Ground Control instead of the system's.
    init(baseURL: String, token: String, authorization: String? = nil, caFile: String? = nil) throws {
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            throw SatctlError("--url must start with http:// or https://, not '\(baseURL.prefix(80))'")
        }
        let tls: TLSConfiguration?
        do {
            tls = try caFile.map(GroundControlClient.trusting(caFile:))
        } catch {
            throw SatctlError("--ca: \(error)")
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton)
        client = GroundControlClient(baseURL: baseURL, http: http, tls: tls)
        self.token = token
        self.authorization = authorization
    }

    let authorization: String?
    var baseURL: String { client.baseURL }

    /// Sends a request and returns the body of a 2xx reply.
    func send(
        _ method: String, _ path: String, body: (any Encodable)? = nil, headers: [String: String] = [:]
    ) async throws -> Data {
        try await exchange(method, path, body: body, headers: headers).body
    }

    /// Sends a request and returns a 2xx reply's status, headers (names in lower case) and body.
    func exchange(
        _ method: String, _ path: String, body: (any Encodable)? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, headers: [String: String], body: Data) {
        let reply: GroundControlClient.Reply
        do {
            let encoded = try body.map { try APIJSON.encoder().encode($0) }
            var headers = headers
            if let authorization { headers["Authorization"] = authorization }
            reply = try await client.send(
                method, path, bearer: authorization == nil ? token : nil, headers: headers, body: encoded)
        } catch {
            throw SatctlError("cannot reach Ground Control at \(client.baseURL): \(error)")
        }
        guard (200..<300).contains(reply.status) else { throw SatctlError(reply.errorMessage) }
        return (Int(reply.status), reply.headers, reply.body)
    }

    /// Streams a 200 reply's body into `path`, written as `<path>.partial` (owner-only) and
    /// renamed when whole: a broken transfer leaves no file that looks complete. Returns the
    /// reply's headers and the bytes written.
    func download(_ apiPath: String, to path: String) async throws -> (headers: HTTPHeaders, bytes: Int64) {
        var request = HTTPClientRequest(url: client.baseURL + apiPath)
        request.tlsConfiguration = client.tls
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .hours(24))
        } catch {
            throw SatctlError("cannot reach Ground Control at \(client.baseURL): \(error)")
        }
        guard response.status.code == 200 else {
            let body = try await response.body.collect(upTo: 1 << 20)
            let error = try? APIJSON.decoder().decode(APIErrorBody.self, from: Data(buffer: body))
            throw SatctlError(
                error.map { "\($0.code): \($0.message)" } ?? "Ground Control answered \(response.status.code)")
        }
        var written: Int64 = 0
        do {
            try await DurableFile.replace(path, mode: .exactly(0o600), temporary: path + ".partial") { file in
                for try await buffer in response.body {
                    try buffer.withUnsafeReadableBytes { try file.write($0) }
                    written += Int64(buffer.readableBytes)
                }
            }
        } catch {
            throw SatctlError("the transfer broke off after \(written) bytes; nothing was kept: \(error)")
        }
        return (response.headers, written)
    }

    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try decode(type, try await send("GET", path))
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
