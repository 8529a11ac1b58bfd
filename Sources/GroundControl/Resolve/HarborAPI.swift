import AsyncHTTPClient
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

    private let baseURL: String
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
        try await pages("/projects/\(Self.segment(project))/repositories/\(Self.segment(repository))/artifacts?with_tag=true&with_scan_overview=true")
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
        let once = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? name
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
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "Authorization", value: authorization)
        request.headers.add(name: "Accept", value: "application/json")
        let body: ByteBuffer
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(30))
            body = try await response.body.collect(upTo: 32 * 1024 * 1024)
        } catch {
            throw Failure(status: nil, message: "Harbor \(baseURL)\(path): \(error)")
        }
        guard response.status == .ok else {
            let detail = String(decoding: body.readableBytesView.prefix(300), as: UTF8.self)
            throw Failure(status: Int(response.status.code), message: "Harbor \(baseURL)\(path) answered \(response.status.code): \(detail)")
        }
        do {
            let decoded = try JSONDecoder().decode(Body.self, from: Data(buffer: body))
            return (decoded, response.headers.first(name: "X-Total-Count").flatMap { Int($0) })
        } catch {
            throw Failure(status: 200, message: "Harbor \(baseURL)\(path) sent JSON this does not read: \(error)")
        }
    }
}
