import FleetDomain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OCI
import RegistryClient
import SatelliteProtocol
import StateContent

extension GroundControlAPI {
    /// `GET /api/v1/satellites/{name}/bundle[?since=GENERATION]`: the satellite's signed state
    /// and all its content, pulled from the upstreams and streamed out as a tar as it arrives.
    /// Everything that can be refused is refused before the first byte: an unknown satellite or
    /// base, an artifact that cannot be resolved. A failure later cuts the response short, which
    /// the client sees as a broken transfer.
    func addBundleRoutes(to router: Router<GroundControlContext>) {
        people(router, .operator).get("satellites/:name/bundle") { request, context in
            let principal = context.principal
            let name = try Self.name(context, kind: "satellite name")
            let since = try Self.integer(request.uri.queryParameters.get("since"), field: "since", range: 1...Int.max)
                .map(Int64.init)
            let bundle = try await fleet.bundleState(of: name, since: since, for: principal)
            let logger = Logger(label: "ground-control.bundle")
            // Someone waits for the answer: an upstream that does not answer is reported soon.
            var options = UpstreamSources.Options()
            options.retry = RetryPolicy(attempts: 2)
            let sources = UpstreamSources(options: options, logger: logger)
            let contents = await Replicator(store: NothingHeld(), sources: sources, logger: logger).contents(
                of: bundle.state)
            if !contents.failures.isEmpty {
                await sources.shutdown()
                let reasons = contents.failures.map { "\($0.reference): \($0.error.message)" }.joined(separator: "; ")
                throw GroundControlError(.upstreamFailed, "cannot make the bundle: \(reasons)")
            }
            let generation = bundle.state.generation
            var headers: HTTPFields = [
                .contentType: "application/x-tar", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"\(name.value)-\(generation).tar\"",
            ]
            if let field = HTTPField.Name("Satellite-Bundle-Generation") { headers[field] = "\(generation)" }
            let fleet = self.fleet
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    let bundleWriter = BundleWriter(output: ResponseOutput(writer: writer))
                    do {
                        let about = try await BundleMaker.write(
                            state: bundle.document, signature: bundle.signature, generation: generation, since: since,
                            contents: contents,
                            leavingOut: bundle.base, to: bundleWriter)
                        await sources.shutdown()
                        // A later delta may leave out all the satellite holds once this is applied.
                        try await fleet.recordBundle(
                            of: name, generation: generation, digests: contents.digests, since: since,
                            by: principal.actor)
                        logger.info(
                            "bundle made",
                            metadata: [
                                "satellite": "\(name)", "generation": "\(generation)", "blobs": "\(about.blobs)",
                                "bytes": "\(bundleWriter.written)",
                            ])
                    } catch {
                        await sources.shutdown()
                        logger.error("bundle broken off", metadata: ["satellite": "\(name)", "error": "\(error)"])
                        throw error
                    }
                    try await writer.finish(nil)
                })
        }
    }
}

/// A bundle written into an HTTP response as it is made.
struct ResponseOutput: BundleOutput {
    var writer: any ResponseBodyWriter

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await writer.write(buffer)
    }
}
