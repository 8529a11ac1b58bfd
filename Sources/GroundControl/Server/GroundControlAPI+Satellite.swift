import Foundation
import HTTPTypes
import Hummingbird
import SatelliteProtocol

extension GroundControlAPI {
    /// Registration (token in the body), desired state and heartbeats (satellite credential).
    func addSatelliteRoutes(to router: Router<BasicRequestContext>) {
        let api = router.group("api/v1")

        api.post("register") { request, _ in
            let body = try await APIBody.decode(RegistrationRequest.self, from: request, limit: bodyLimit)
            guard let publicKey = keys.publicKey else { throw GroundControlError(.unavailable, "Ground Control is still starting") }
            return try APIBody.json(try await fleet.register(token: body.token, publicKey: publicKey))
        }
        api.get("public-key") { _, _ in
            guard let publicKey = keys.publicKey else { throw GroundControlError(.unavailable, "Ground Control is still starting") }
            return try APIBody.json(["publicKey": publicKey, "algorithm": "ed25519"])
        }
        api.get("state") { request, _ in
            let name = try await requireSatellite(request)
            return try await state(for: name, request: request)
        }
        api.post("status") { request, _ in
            let name = try await requireSatellite(request)
            let report = try await APIBody.decode(StatusReport.self, from: request, limit: bodyLimit * 8)
            let (reply, heartbeat) = try await fleet.acceptHeartbeat(name, report)
            await heartbeats.add(heartbeat)
            return try APIBody.json(reply)
        }
    }

    /// The signed desired state; with `If-None-Match` naming the current generation, 304 — after
    /// waiting up to `?wait=` seconds for it to change.
    private func state(for name: ResourceName, request: Request) async throws -> Response {
        let wait = try Self.integer(request.uri.queryParameters.get("wait"), field: "wait", range: 0...longestWait) ?? 0
        let known = request.headers[.ifNoneMatch]
        // Read the watcher before the database, so a change between the two still wakes us.
        var observed = await watcher.current
        var satellite = try await fleet.stateInputs(of: name)
        var configuration = try await publisher.configuration(key: observed, covering: satellite)
        if let known, Self.matches(known, configuration.generation(of: satellite)) {
            let deadline = ContinuousClock.now + .seconds(wait)
            while true {
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero, await watcher.waitForChange(from: observed, timeout: remaining) else {
                    return Response(status: .notModified, headers: [.eTag: Self.etag(configuration.generation(of: satellite))])
                }
                observed = await watcher.current
                configuration = try await publisher.configuration(key: observed, covering: satellite)
                // Its groups and settings change only with its own revision, which the publisher
                // tracks: the satellite's row is read again only when that moved.
                if let revision = await publisher.knownRevision(of: name.value), revision > satellite.revision {
                    satellite = try await fleet.stateInputs(of: name)
                    configuration = try await publisher.configuration(key: observed, covering: satellite)
                }
                if !Self.matches(known, configuration.generation(of: satellite)) { break }
            }
        }
        let signed = try await publisher.signedState(satellite, configuration)
        var headers: HTTPFields = [.eTag: Self.etag(signed.generation), .cacheControl: "no-store"]
        if let field = HTTPField.Name(StateSignature.header) { headers[field] = signed.signature }
        return APIBody.raw(signed.document, headers: headers)
    }

    static func etag(_ generation: Int64) -> String { "\"\(generation)\"" }

    /// `If-None-Match` may list several tags, weak or strong.
    static func matches(_ header: String, _ generation: Int64) -> Bool {
        let current = etag(generation)
        return header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == current || tag == "*"
        }
    }

    /// `/healthz`, `/readyz`, `/metrics`, `/openapi.json`: no token.
    func addOperationsRoutes(to router: Router<BasicRequestContext>) {
        router.get("healthz") { _, _ in APIBody.raw(Data(#"{"status":"ok"}"#.utf8)) }
        router.get("readyz") { _, _ in
            guard keys.publicKey != nil else { throw GroundControlError(.unavailable, "starting") }
            _ = try await fleet.revision()
            return APIBody.raw(Data(#"{"status":"ready"}"#.utf8))
        }
        router.get("metrics") { _, _ in
            let counts = (try? await fleet.satelliteCounts()) ?? [:]
            let text = metrics.render(satellitesByState: counts, longPolls: await watcher.waiting)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        router.get("openapi.json") { _, _ in
            APIBody.raw(Data(GroundControlDocument.openAPI.utf8))
        }
    }
}
