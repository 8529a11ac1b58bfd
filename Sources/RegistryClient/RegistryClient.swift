import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import OCI
import Synchronization

/// A client for any OCI Distribution registry: anonymous, Basic or Bearer-token auth, TLS with a
/// custom CA or none, retries with backoff on network errors, 429 and 5xx.
public final class RegistryClient: Sendable {
    /// Where and how to reach a registry.
    public struct Configuration: Sendable {
        /// `http(s)://host[:port]`, optionally with a path the API sits under (`/v2/…` follows it).
        public var baseURL: String
        public var username: String?
        public var password: String?
        /// Skip TLS certificate verification.
        public var insecure: Bool
        /// PEM file of CA certificates to trust.
        public var caFile: String?
        public var retry: RetryPolicy
        /// Longest wait for a reply to start, connection attempts included (the HTTP client keeps
        /// retrying a refused connection until then).
        public var responseTimeout: Duration
        /// Longest wait between bytes of a reply body at the socket (a backstop; blob downloads
        /// watch their own progress with `stallTimeout`).
        public var readTimeout: Duration
        /// A blob download that receives no byte for this long is abandoned and resumed with
        /// `Range` on a new connection: a link that comes back after a cut often leaves the old
        /// connection dead without either side noticing.
        public var stallTimeout: Duration
        /// Send Basic credentials from the first request rather than after a challenge (for a
        /// server known to want them, such as a peer satellite).
        public var basicFromTheStart = false
        /// The TLS configuration to start from (one presenting a client certificate, say);
        /// `insecure` and `caFile` apply on top of it.
        public var tls: TLSConfiguration?
        /// Names the program in every request: a registry's access log then tells a satellite's
        /// fetches from Ground Control's lookups.
        public var userAgent: String?

        public init(
            baseURL: String, username: String? = nil, password: String? = nil, insecure: Bool = false,
            caFile: String? = nil, retry: RetryPolicy = RetryPolicy(),
            responseTimeout: Duration = .seconds(20), readTimeout: Duration = .seconds(60),
            stallTimeout: Duration = .seconds(15)
        ) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.username = username
            self.password = password
            self.insecure = insecure
            self.caFile = caFile
            self.retry = retry
            self.responseTimeout = responseTimeout
            self.readTimeout = readTimeout
            self.stallTimeout = stallTimeout
        }
    }

    public let configuration: Configuration
    let http: HTTPClient
    let logger: Logger
    /// Bearer tokens by scope, with when they stop being good.
    private let tokens = Mutex<[String: (token: String, expires: ContinuousClock.Instant)]>([:])
    /// Whether the registry asked for Basic auth: then every request carries it.
    private let usesBasic: Mutex<Bool>
    /// Bytes received in blob and manifest bodies, for tests and progress.
    private let received = Atomic<Int64>(0)

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "registry-client")) throws {
        self.configuration = configuration
        self.logger = logger
        usesBasic = Mutex(configuration.basicFromTheStart)
        var client = HTTPClient.Configuration()
        var tls = configuration.tls ?? TLSConfiguration.makeClientConfiguration()
        if configuration.insecure {
            tls.certificateVerification = .none
        }
        if let caFile = configuration.caFile {
            tls.trustRoots = .file(caFile)
        }
        client.tlsConfiguration = tls
        client.timeout = .init(
            connect: Self.timeAmount(min(configuration.responseTimeout, .seconds(10))),
            read: Self.timeAmount(configuration.readTimeout))
        client.redirectConfiguration = .follow(max: 5, allowCycles: false)
        client.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: client)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Releases connections; call once done.
    public func shutdown() async {
        try? await http.shutdown()
    }

    /// Bytes of content received so far by this client.
    public var bytesReceived: Int64 { received.load(ordering: .relaxed) }

    func countReceived(_ bytes: Int) {
        received.add(Int64(bytes), ordering: .relaxed)
    }

    // MARK: - Sending with auth and retries

    /// Sends a request for `path` (starting `/v2/`), handling auth challenges and retrying
    /// transient failures. Returns the first usable response, whatever its status.
    func send(
        _ method: HTTPMethod, _ path: String, headers: HTTPHeaders = [:], repository: RepositoryName?,
        timeout: Duration? = nil
    ) async throws(ClientError) -> HTTPClientResponse {
        let timeout = timeout ?? configuration.responseTimeout
        let scope = repository.map { "repository:\($0):pull" }
        var retry = 0
        var triedAuth = false
        while true {
            var request = HTTPClientRequest(url: configuration.baseURL + path)
            request.method = method
            request.headers = headers
            if let userAgent = configuration.userAgent {
                request.headers.replaceOrAdd(name: "User-Agent", value: userAgent)
            }
            if let authorization = authorization(scope: scope) {
                request.headers.replaceOrAdd(name: "Authorization", value: authorization)
            }
            let response: HTTPClientResponse
            let started = ContinuousClock.now
            do {
                response = try await http.execute(request, timeout: Self.timeAmount(timeout))
            } catch {
                retry += 1
                // A failure that took the whole timeout already had the connection retried.
                let spent = ContinuousClock.now - started >= timeout / 2
                guard retry < configuration.retry.attempts, !spent else {
                    throw ClientError(.network, "\(method) \(configuration.baseURL)\(path): \(error)")
                }
                try await pause(configuration.retry.delay(beforeRetry: retry))
                continue
            }
            if response.status == .unauthorized, !triedAuth {
                triedAuth = true
                try await authenticate(response: response, scope: scope)
                continue
            }
            if response.status == .tooManyRequests || response.status.code >= 500 {
                retry += 1
                guard retry < configuration.retry.attempts else { return response }
                let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init).map {
                    Duration.seconds($0)
                }
                try await pause(configuration.retry.delay(beforeRetry: retry, retryAfter: retryAfter))
                continue
            }
            return response
        }
    }

    func pause(_ duration: Duration) async throws(ClientError) {
        do {
            try await Task.sleep(for: duration)
        } catch {
            throw ClientError(.network, "cancelled")
        }
    }

    private func authorization(scope: String?) -> String? {
        if let cached = tokens.withLock({ $0[scope ?? ""] }), cached.expires > .now {
            return "Bearer \(cached.token)"
        }
        if usesBasic.withLock({ $0 }), let basic = basicCredentials {
            return "Basic \(basic)"
        }
        return nil
    }

    private var basicCredentials: String? {
        guard let username = configuration.username else { return nil }
        return Data("\(username):\(configuration.password ?? "")".utf8).base64EncodedString()
    }

    /// Answers a 401: remember to send Basic credentials, or fetch a Bearer token for the scope.
    private func authenticate(response: HTTPClientResponse, scope: String?) async throws(ClientError) {
        guard let header = response.headers.first(name: "WWW-Authenticate"),
            let challenge = AuthChallenge(header: header)
        else {
            throw ClientError(.unauthorized, "\(configuration.baseURL) requires authentication it did not describe")
        }
        switch challenge.scheme {
        case .basic:
            guard basicCredentials != nil else {
                throw ClientError(.unauthorized, "\(configuration.baseURL) requires a username and password")
            }
            usesBasic.withLock { $0 = true }
        case .bearer:
            try await fetchToken(challenge, scope: scope)
        }
    }

    private struct TokenReply: Decodable {
        var token: String?
        var access_token: String?
        var expires_in: Int?
    }

    private func fetchToken(_ challenge: AuthChallenge, scope: String?) async throws(ClientError) {
        guard let realm = challenge.realm, var components = URLComponents(string: realm) else {
            throw ClientError(.unauthorized, "bearer challenge from \(configuration.baseURL) has no usable realm")
        }
        var query = components.queryItems ?? []
        if let service = challenge.service { query.append(URLQueryItem(name: "service", value: service)) }
        if let requested = challenge.scope ?? scope { query.append(URLQueryItem(name: "scope", value: requested)) }
        components.queryItems = query
        guard let url = components.string else {
            throw ClientError(.unauthorized, "bearer realm '\(realm)' is not a URL")
        }
        var request = HTTPClientRequest(url: url)
        if let userAgent = configuration.userAgent { request.headers.add(name: "User-Agent", value: userAgent) }
        if let basic = basicCredentials {
            request.headers.add(name: "Authorization", value: "Basic \(basic)")
        }
        let body: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            guard response.status == .ok else {
                throw ClientError(.unauthorized, "token service \(realm) answered \(response.status.code)")
            }
            body = try await response.body.collect(upTo: 1 << 20)
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError(.network, "token service \(realm): \(error)")
        }
        guard let reply = try? JSONDecoder().decode(TokenReply.self, from: Data(buffer: body)),
            let token = reply.token ?? reply.access_token
        else {
            throw ClientError(.invalidResponse, "token service \(realm) sent no token")
        }
        // Refresh a little early; the spec's default lifetime is 60 seconds.
        let lifetime = max((reply.expires_in ?? 60) - 10, 5)
        tokens.withLock { $0[scope ?? ""] = (token, .now + .seconds(lifetime)) }
    }
}
