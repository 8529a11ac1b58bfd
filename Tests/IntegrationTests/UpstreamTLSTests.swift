import Foundation
import Logging
import OCI
import RegistryStore
import Replication
import SatelliteProtocol
import StateContent
import TestSupport
import Testing

/// An HTTPS upstream whose certificate only a given CA file vouches for.
@Suite(.serialized) struct UpstreamTLSTests {
    func sync(_ upstream: DesiredState.Upstream, in directory: String) async throws -> Replication.SyncReport {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var options = UpstreamSources.Options()
        // A refused handshake is retried until this timeout; the test need not wait long.
        options.responseTimeout = .seconds(2)
        let replicator = Replicator(
            store: try RegistryStore(directory: directory, logger: logger), upstreams: options, logger: logger)
        let state = DesiredState(
            generation: 1, upstreams: [upstream],
            artifacts: [
                .init(upstream: upstream.name, repository: try RepositoryName("apps/app"), tag: try Tag("v1"))
            ])
        let report = await replicator.sync(state)
        await replicator.shutdown()
        return report
    }

    @Test func trustsItsCAFileRefusesOtherwiseOrSkipsChecksWhenInsecure() async throws {
        try await withUpstream(tls: true) { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/app:v1")
            let base = DesiredState.Upstream(
                name: "central", url: upstream.url, username: UpstreamRegistry.username,
                password: UpstreamRegistry.password)

            var trusted = base
            trusted.caFile = upstream.caFile
            let withCA = try await sync(trusted, in: work.appending("with-ca"))
            #expect(withCA.succeeded, "\(withCA.artifacts)")

            let unverified = try await sync(base, in: work.appending("no-ca"))
            #expect(!unverified.succeeded)
            #expect(unverified.artifacts.first?.outcome == .missing)

            var insecure = base
            insecure.insecure = true
            let skipped = try await sync(insecure, in: work.appending("insecure"))
            #expect(skipped.succeeded, "\(skipped.artifacts)")
        }
    }
}
