import Logging
import NIOSSL
import OCI
import RegistryClient
import StateContent

/// One peer of the site: its registry under `/_site`, asked with the site credential, and with
/// the previous one when the peer has not taken the new state yet.
final class PeerClient: Sendable {
    let url: String
    let credentials: [String]
    let caFile: String?
    let presenting: PeerClientCertificate?
    private let clients: [RegistryClient]

    /// The path the peer serves other satellites under.
    static let pathPrefix = "/_site"
    /// The user name presented with the site credential (Basic auth); the credential decides.
    static let userName = "site"

    init(
        url: String, credentials: [String], caFile: String?, presenting: PeerClientCertificate?, options: Site.Options,
        logger: Logger
    ) throws {
        self.url = url
        self.credentials = credentials
        self.caFile = caFile
        self.presenting = presenting
        clients = try credentials.map { credential in
            var configuration = RegistryClient.Configuration(
                baseURL: url + Self.pathPrefix, username: Self.userName, password: credential, caFile: caFile,
                retry: RetryPolicy(attempts: 2, initialDelay: .milliseconds(100), maximumDelay: .seconds(1)),
                responseTimeout: .seconds(5), readTimeout: options.stallTimeout * 2, stallTimeout: options.stallTimeout)
            configuration.basicFromTheStart = true
            configuration.tls = presenting?.tls
            return try RegistryClient(configuration, logger: logger)
        }
    }

    /// Runs `operation` with the current credential, and once more with the previous one when the
    /// peer refused the current.
    func withCredential<T: Sendable>(_ operation: (RegistryClient) async throws -> T) async throws -> T {
        var refusal: (any Error)?
        for client in clients {
            do {
                return try await operation(client)
            } catch let error as ClientError where error.code == .unauthorized {
                refusal = error
            }
        }
        throw refusal ?? ClientError(.unauthorized, "peer \(url): no site credential")
    }

    func ping(timeout: Duration) async throws {
        try await withCredential { try await $0.ping(timeout: timeout) }
    }

    func shutdown() async {
        for client in clients { await client.shutdown() }
    }
}

/// The certificate a satellite presents to its site's peers (its own, or its SVID): the TLS
/// configuration presenting it, and the certificate's serial, which says whether it changed.
public struct PeerClientCertificate: Sendable, Equatable {
    public let serial: String
    public let tls: TLSConfiguration

    public init(serial: String, tls: TLSConfiguration) {
        self.serial = serial
        self.tls = tls
    }

    public static func == (left: PeerClientCertificate, right: PeerClientCertificate) -> Bool {
        left.serial == right.serial
    }
}
