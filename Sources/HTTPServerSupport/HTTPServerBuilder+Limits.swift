import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a connection may cost the server: how long it may take to send a request's head, how
/// long it may sit idle, and how many may be open at once. Without these, slow or idle
/// connections are held forever and enough of them exhaust the file limit.
public struct ServerLimits: Sendable {
    /// Seconds from a connection's start to its first complete request head (later heads may take
    /// as long as `idleTimeout` from the end of the last response).
    public var headerTimeout: TimeAmount = .seconds(30)
    /// Seconds without a request part read (between requests, or a stalled request body).
    public var idleTimeout: TimeAmount = .seconds(60)
    /// Connections open at once; more are answered 503 and closed at once.
    public var maximumConnections: Int
    /// How long a connection answered before its request body was read may still drain it.
    public var lingerTimeout: TimeAmount = .seconds(2)

    /// - Parameter descriptorsPerConnection: file descriptors a busy connection holds (a blob
    ///   download holds its socket and the blob's file), so the default ceiling stays below the file limit.
    public init(descriptorsPerConnection: Int = 1) {
        maximumConnections = Self.defaultMaximumConnections(descriptorsPerConnection: descriptorsPerConnection)
    }

    /// The open-file limit less a reserve for the database and logs, shared out per connection.
    /// The reserve also keeps the process alive: libdispatch opens `/proc/<tid>/stat` every second
    /// while work is queued and stops the process (SIGILL) when it cannot, so a Swift server must
    /// never use its last descriptors (the fleet simulator did, at 25,000 satellites).
    public static func defaultMaximumConnections(descriptorsPerConnection: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int32.max) else {
            return 4096
        }
        return max(16, (Int(limit.rlim_cur) - 256) / max(1, descriptorsPerConnection))
    }

    /// Raises the soft open-file limit to the hard one, as servers that hold many sockets should.
    public static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// The TLS files were given wrong.
public struct ServerTLSError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 within `limits`: plain, or HTTPS (TLS 1.2 and 1.3) when both PEM files are
    /// given, asking clients for certificates when there is a `clientCertificates` policy.
    /// With `serving`, the certificate is the one it holds at each connection, not a file's.
    public static func http1(
        tlsCertificatePath: String?, tlsKeyPath: String?, limits: ServerLimits,
        clientCertificates: ClientCertificatePolicy? = nil, serving: ServingTLS? = nil
    ) throws -> HTTPServerBuilder {
        let ceiling = ConnectionCeiling(maximum: limits.maximumConnections)
        let configuration = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                ConnectionCeilingHandler(ceiling: ceiling),
                RequestHeadTimeoutHandler(timeout: limits.headerTimeout, betweenRequests: limits.idleTimeout),
                EarlyResponseCloseHandler(linger: limits.lingerTimeout),
            ],
            idleTimeout: limits.idleTimeout)
        if let serving {
            guard tlsCertificatePath == nil && tlsKeyPath == nil else {
                throw ServerTLSError(description: "a certificate from Ground Control replaces --tls-cert and --tls-key")
            }
            // Asked for, a client certificate must meet the policy, not NIOSSL's default trust.
            guard serving.asksClientCertificates == (clientCertificates != nil) else {
                throw ServerTLSError(description: "client certificates are asked for with a policy, or not at all")
            }
            return HTTPServerBuilder { responder in
                ClientCertificateChannel(
                    base: HTTP1Channel(responder: responder, configuration: configuration),
                    context: { serving.current }, policy: clientCertificates)
            }
        }
        switch (tlsCertificatePath, tlsKeyPath) {
        case (nil, nil):
            guard clientCertificates == nil else {
                throw ServerTLSError(description: "client certificates need --tls-cert and --tls-key")
            }
            return .http1(configuration: configuration)
        case (let certificate?, let key?):
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(privateKey))
            tls.minimumTLSVersion = .tlsv12
            guard let policy = clientCertificates else {
                return try .tls(.http1(configuration: configuration), tlsConfiguration: tls)
            }
            tls.certificateVerification = .optionalVerification
            let context = try NIOSSLContext(configuration: tls)
            return HTTPServerBuilder { responder in
                ClientCertificateChannel(
                    base: HTTP1Channel(responder: responder, configuration: configuration), context: { context },
                    policy: policy)
            }
        default:
            throw ServerTLSError(description: "--tls-cert and --tls-key must be given together")
        }
    }
}
