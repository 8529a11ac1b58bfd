import AsyncHTTPClient
import FleetDomain
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// Harbor's v2.0 API (`/api/v2.0`), the part Ground Control uses, with Basic auth of an admin or
/// of a system robot allowed to manage robots. Written from Harbor's published swagger.
public final class HarborAPI: Sendable {
    /// An artifact as `GET …/artifacts?with_tag=true&with_scan_overview=true` lists it.
    public struct Artifact: Decodable, Sendable, Equatable {
        public struct Tag: Decodable, Sendable, Equatable {
            public let name: String
            public let pushTime: String?

            enum CodingKeys: String, CodingKey {
                case name
                case pushTime = "push_time"
            }
        }

        /// One scanner's summary (`scan_overview` is keyed by report MIME type).
        public struct ScanSummary: Decodable, Sendable, Equatable {
            public let severity: String?
            public let scanStatus: String?

            enum CodingKeys: String, CodingKey {
                case severity
                case scanStatus = "scan_status"
            }
        }

        public let digest: String
        public let pushTime: String?
        public let tags: [Tag]?
        public let scanOverview: [String: ScanSummary]?

        enum CodingKeys: String, CodingKey {
            case digest
            case pushTime = "push_time"
            case tags
            case scanOverview = "scan_overview"
        }
    }

    /// A failure talking to Harbor, naming the request.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let status: Int?
        public let message: String
        public var description: String { message }
    }

    let baseURL: String
    private let authorization: String
    private let http: HTTPClient
    /// Items per page (Harbor's largest is 100).
    private let pageSize: Int
    /// A bound on pages read for one listing, against a registry that never says it is done.
    static let maximumPages = 1000

    public init(url: String, username: String, password: String, insecure: Bool, pageSize: Int = 100) {
        self.pageSize = max(1, min(pageSize, 100))
        baseURL = (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/api/v2.0"
        authorization = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        var configuration = HTTPClient.Configuration()
        if insecure {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            configuration.tlsConfiguration = tls
        }
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// Every artifact of `project/repository` with its tags and scan overview, newest first as
    /// Harbor lists them. `repository` is the name inside the project (`team/app`).
    public func artifacts(project: String, repository: String) async throws(Failure) -> [Artifact] {
        try await pages(
            "/projects/\(Self.segment(project))/repositories/\(Self.segment(repository))/artifacts"
                + "?with_tag=true&with_scan_overview=true")
    }

    /// The artifact a tag (or digest) names, with all its tags and its scan overview; nil when
    /// Harbor has no such artifact.
    public func artifact(project: String, repository: String, reference: String) async throws(Failure) -> Artifact? {
        let path =
            "/projects/\(Self.segment(project))/repositories/\(Self.segment(repository))"
            + "/artifacts/\(Self.segment(reference))?with_tag=true&with_scan_overview=true"
        let (status, _, body) = try await send(.GET, path)
        if status == 404 { return nil }
        guard status == 200 else { throw Self.failure(path: baseURL + path, status: status, body: body) }
        return try Self.decode(Artifact.self, body, path: baseURL + path)
    }

    /// The names of a project's repositories, inside the project (`team/app`, not `project/team/app`).
    public func repositories(project: String) async throws(Failure) -> [String] {
        struct Repository: Decodable { let name: String }
        let listed: [Repository] = try await pages("/projects/\(Self.segment(project))/repositories?")
        let prefix = project + "/"
        return listed.map { $0.name.hasPrefix(prefix) ? String($0.name.dropFirst(prefix.count)) : $0.name }
    }

    /// A path segment as Harbor's router wants it: a name holding `/` is encoded twice
    /// (`team/app` → `team%252Fapp`), since the router decodes the path once before routing.
    static func segment(_ name: String) -> String {
        let once =
            name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? name
        return once.replacingOccurrences(of: "%", with: "%25")
    }

    /// Reads a paged listing to its end.
    private func pages<Item: Decodable>(_ path: String) async throws(Failure) -> [Item] {
        var items: [Item] = []
        for page in 1...Self.maximumPages {
            let separator = path.hasSuffix("?") ? "" : "&"
            let (batch, total): ([Item], Int?) = try await get("\(path)\(separator)page=\(page)&page_size=\(pageSize)")
            items += batch
            if batch.count < pageSize || (total.map { items.count >= $0 } ?? false) { break }
        }
        return items
    }

    private func get<Body: Decodable>(_ path: String) async throws(Failure) -> (Body, Int?) {
        let (status, headers, body) = try await send(.GET, path)
        guard status == 200 else { throw Self.failure(path: baseURL + path, status: status, body: body) }
        return (
            try Self.decode(Body.self, body, path: baseURL + path),
            headers.first(name: "X-Total-Count").flatMap { Int($0) }
        )
    }

    /// One request; any status comes back, only a failure to get an answer throws.
    func send(
        _ method: HTTPMethod, _ path: String, json: Data? = nil, headers: [String: String] = [:]
    ) async throws(Failure) -> (Int, HTTPHeaders, ByteBuffer) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: authorization)
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: json))
        }
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            return (
                Int(response.status.code), response.headers, try await response.body.collect(upTo: 32 * 1024 * 1024)
            )
        } catch {
            throw Failure(status: nil, message: "Harbor \(method) \(baseURL)\(path): \(error)")
        }
    }

    static func failure(path: String, status: Int, body: ByteBuffer) -> Failure {
        let detail = String(decoding: body.readableBytesView.prefix(300), as: UTF8.self)
        return Failure(status: status, message: "Harbor \(path) answered \(status): \(detail)")
    }

    static func decode<Body: Decodable>(_ type: Body.Type, _ body: ByteBuffer, path: String) throws(Failure) -> Body {
        do {
            return try JSONDecoder().decode(Body.self, from: Data(buffer: body))
        } catch {
            throw Failure(status: 200, message: "Harbor \(path) sent JSON this does not read: \(error)")
        }
    }
}
