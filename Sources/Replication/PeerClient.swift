import Logging
import OCI
import RegistryClient
import StateContent

/// One peer of the site: its registry under `/_site`, asked with the site credential, and with
/// the previous one when the peer has not taken the new state yet.
final class PeerClient: Sendable {
    let url: String
    let credentials: [String]
    let caFile: String?
    private let clients: [RegistryClient]

    /// The path the peer serves other satellites under.
    static let pathPrefix = "/_site"
    /// The user name presented with the site credential (Basic auth); the credential decides.
    static let userName = "site"

    init(url: String, credentials: [String], caFile: String?, options: Site.Options, logger: Logger) throws {
        self.url = url
        self.credentials = credentials
        self.caFile = caFile
        clients = try credentials.map { credential in
            var configuration = RegistryClient.Configuration(
                baseURL: url + Self.pathPrefix, username: Self.userName, password: credential, caFile: caFile,
                retry: RetryPolicy(attempts: 2, initialDelay: .milliseconds(100), maximumDelay: .seconds(1)),
                responseTimeout: .seconds(5), readTimeout: options.stallTimeout * 2, stallTimeout: options.stallTimeout)
            configuration.basicFromTheStart = true
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
