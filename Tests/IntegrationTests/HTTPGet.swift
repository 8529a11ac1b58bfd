import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// One HTTP client for the tests' own requests. (Linux URLSession stalls on a 401 with a Basic
/// challenge and no delegate, which an htpasswd upstream sends.)
let testHTTPClient = HTTPClient(eventLoopGroupProvider: .singleton)

/// The same without certificate checks, for probing test servers with self-signed certificates.
let insecureTestHTTPClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.tlsConfiguration = .makeClientConfiguration()
    configuration.tlsConfiguration?.certificateVerification = .none
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}()

/// Any HTTP request, for pushing raw content, checking what is served and what is refused.
func httpSend(
    _ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil, insecure: Bool = false
) async throws -> (status: Int, headers: [String: String], body: Data) {
    var request = HTTPClientRequest(url: url)
    request.method = HTTPMethod(rawValue: method)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(data: body)) }
    let client = insecure ? insecureTestHTTPClient : testHTTPClient
    let response: HTTPClientResponse
    do {
        response = try await client.execute(request, timeout: .seconds(60))
    } catch let error as ChannelError where error == .ioOnClosedChannel && (method == "GET" || method == "HEAD") {
        // A pooled keep-alive connection the server closed as the request went out: any client
        // sends an idempotent request again on a new one.
        response = try await client.execute(request, timeout: .seconds(60))
    }
    let collected = try await response.body.collect(upTo: 512 * 1024 * 1024)
    var fields: [String: String] = [:]
    for (name, value) in response.headers { fields[name.lowercased()] = value }
    return (Int(response.status.code), fields, Data(buffer: collected))
}

/// A plain HTTP GET.
func httpGet(
    _ url: String, headers: [String: String] = [:], insecure: Bool = false
) async throws -> (status: Int, headers: [String: String], body: Data) {
    try await httpSend("GET", url, headers: headers, insecure: insecure)
}
