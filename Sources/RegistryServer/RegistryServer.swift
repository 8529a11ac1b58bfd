import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import RegistryStore

/// Builds the HTTP application that serves a store.
public enum RegistryServer {
    /// Where and how to listen.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// PEM certificate chain and key; both or neither.
        public var tlsCertificatePath: String?
        public var tlsKeyPath: String?
        /// Refuse pushes and deletes: the content comes from the desired state, not from clients.
        public var readOnly: Bool

        public init(host: String, port: Int, tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil, readOnly: Bool = false) {
            self.host = host
            self.port = port
            self.tlsCertificatePath = tlsCertificatePath
            self.tlsKeyPath = tlsKeyPath
            self.readOnly = readOnly
        }
    }

    /// Makes the application (a `Service`) serving `store`.
    public static func makeApplication(
        store: RegistryStore, metrics: RegistryMetrics, configuration: Configuration, logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let responder = RegistryResponder(store: store, metrics: metrics, logger: logger, readOnly: configuration.readOnly)
        let server: HTTPServerBuilder
        switch (configuration.tlsCertificatePath, configuration.tlsKeyPath) {
        case (nil, nil):
            server = .http1()
        case (let certificate?, let key?):
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
            server = try .tls(.http1(), tlsConfiguration: tls)
        default:
            throw RegistryServerError.incompleteTLS
        }
        return Application(
            responder: responder,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: onServerRunning,
            logger: logger)
    }
}

/// Misconfiguration found while building the server.
public enum RegistryServerError: Error, CustomStringConvertible {
    case incompleteTLS

    public var description: String {
        switch self {
        case .incompleteTLS: "--tls-cert and --tls-key must be given together"
        }
    }
}
