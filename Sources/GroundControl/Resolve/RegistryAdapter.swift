import FleetDomain
import OCI
import RegistryClient

/// What Ground Control asks of a central registry: where a tag points now.
public protocol RegistryAdapter: Sendable {
    func resolve(_ repository: RepositoryName, tag: Tag) async throws -> Digest
    func shutdown() async
}

/// Any registry that speaks the OCI Distribution API (Harbor included), through `RegistryClient`.
public struct OCIRegistryAdapter: RegistryAdapter {
    private let client: RegistryClient

    public init(url: String, username: String?, password: String?, insecure: Bool) throws {
        var configuration = RegistryClient.Configuration(baseURL: url)
        configuration.username = username
        configuration.password = password
        configuration.insecure = insecure
        configuration.responseTimeout = .seconds(15)
        // A failed pass is retried at the next one; do not hold the others up.
        configuration.retry = RetryPolicy(attempts: 2)
        client = try RegistryClient(configuration)
    }

    public func resolve(_ repository: RepositoryName, tag: Tag) async throws -> Digest {
        try await client.resolve(repository, tag: tag)
    }

    public func shutdown() async {
        await client.shutdown()
    }
}
