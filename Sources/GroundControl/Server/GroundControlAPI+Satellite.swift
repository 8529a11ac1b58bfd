import FleetDomain
import Foundation
import HTTPTypes
import Hummingbird
import SatelliteProtocol

extension GroundControlAPI {
    /// Registration (token in the body), desired state and heartbeats (satellite credential).
    func addSatelliteRoutes(to router: Router<GroundControlContext>) {
        let api = router.group("api/v1")

        api.post("register") { request, _ in
            let body = try await APIBody.decode(
                RegistrationRequest.self, from: request, limit: bodyLimit, strict: false)
            guard let publicKey = keys.publicKey else {
                throw GroundControlError(.unavailable, "Ground Control is still starting")
            }
            let registration = try await fleet.register(token: body.token, publicKey: publicKey, csr: body.csr)
            return try APIBody.json(registration)
        }
        api.get("public-key") { _, _ in
            guard let publicKey = keys.publicKey else {
                throw GroundControlError(.unavailable, "Ground Control is still starting")
            }
            return try APIBody.json(["publicKey": publicKey, "algorithm": "ed25519"])
        }
        let satellites = satellites(router)
        satellites.get("state") { request, context in
            try await state(for: context.satellite, request: request)
        }
        satellites.post("status") { request, context in
            try await heartbeat(from: context.satellite, request: request)
        }
        self.satellites(router, grace: fleet.identity.reenrolExpired).post("certificate") { request, context in
            let body = try await APIBody.decode(CertificateRenewalRequest.self, from: request, limit: bodyLimit)
            return try APIBody.json(try await fleet.renewCertificate(of: context.satellite.name, csr: body.csr))
        }
        satellites.post("serving-certificate") { request, context in
            let body = try await APIBody.decode(ServingCertificateRequest.self, from: request, limit: bodyLimit)
            return try APIBody.json(
                try await fleet.issueServingCertificate(to: context.satellite.name, csr: body.csr, names: body.names))
        }
    }

    /// A heartbeat: the status in full, or quiet (`If-Match` naming the digest of the status
    /// last sent, no body; `QuietHeartbeat`). The reply tells the satellite the digest now held
    /// and how often to call.
    private func heartbeat(from satellite: SatelliteRequest, request: Request) async throws -> Response {
        let body = try await APIBody.collect(request, limit: bodyLimit * 8)
        let report: StatusReport?
        let digest: String
        if let ifMatch = request.headers[.ifMatch] {
            guard body.readableBytes == 0 else {
                throw GroundControlError(.invalidBody, "a quiet heartbeat (If-Match) has no body")
            }
            guard let named = QuietHeartbeat.digest(ifMatch: ifMatch) else {
                throw GroundControlError(.invalidField, "If-Match: must be one quoted status digest (sha256:…)")
            }
            let name = satellite.name.value
            let held = try await statusDigests.digest(of: name) { try await fleet.satellites.statusDigest(of: name) }
            guard held == named else {
                throw GroundControlError(.statusChanged, "Ground Control holds another status; send it in full")
            }
            (report, digest) = (nil, named)
        } else {
            report = try APIBody.decode(StatusReport.self, from: body, strict: false)
            digest = QuietHeartbeat.digest(of: body.readableBytesView)
        }
        var (reply, heartbeat) = try await fleet.satellites.acceptHeartbeat(
            report, digest: digest, from: satellite.satellite, configuration: satellite.configuration)
        if report != nil { statusDigests.remember(digest, for: satellite.name.value) }
        await heartbeats.add(heartbeat)
        metrics.heartbeat(quiet: report == nil)
        reply.statusDigest = digest
        reply.quietIntervalSeconds = cadence.quietInterval(heartbeatSeconds: reply.settings.heartbeatIntervalSeconds)
        reply.pollWaitSeconds = min(cadence.pollWaitSeconds, longestWait)
        return try APIBody.json(reply)
    }

    /// The signed desired state; with `If-None-Match` naming the current generation, 304 — after
    /// waiting up to `?wait=` seconds for it to change.
    private func state(for request: SatelliteRequest, request http: Request) async throws -> Response {
        let wait = try Self.integer(http.uri.queryParameters.get("wait"), field: "wait", range: 0...longestWait) ?? 0
        var current = request
        if let known = http.headers[.ifNoneMatch],
            Self.matches(known, current.configuration.generation(of: current.satellite))
        {
            let deadline = ContinuousClock.now + .seconds(wait)
            // Asking for a rotation stamps the satellite's state, so a poll held then is answered
            // with the new state and the heartbeat after its sync takes the rotation; a poll that
            // begins while the rotation still waits asks for that heartbeat.
            if HeartbeatRequest.isPreferred(in: http.headers[Self.prefer]) && current.satellite.rotateRequested {
                return Self.heartbeatRequested(current)
            }
            if wait > 0 {
                // A held long-poll vouches for the satellite until it ends (and the next begins),
                // so one whose status has not changed need not heartbeat meanwhile.
                let now = Date()
                await heartbeats.add(
                    .init(
                        name: current.name.value, at: now,
                        pollingUntil: now.addingTimeInterval(Double(wait) + Self.pollingSlack)))
            }
            while true {
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero,
                    await watcher.waitForChange(
                        from: current.observed, satellite: current.name.value, timeout: remaining)
                else {
                    return Response(
                        status: .notModified,
                        headers: [.eTag: Self.etag(current.configuration.generation(of: current.satellite))])
                }
                current.observed = watcher.latest
                // Loading the configuration for the new key also refreshes the satellites' revisions,
                // which `inputs(of:)` checks its cached row against (groups and settings change only
                // with the satellite's own revision).
                current.configuration = try await cache.configuration(key: current.observed)
                current.satellite = try await inputs(of: current.name)
                // Revoking changes the generation, so it wakes this wait; the answer is then the
                // revocation, never a state (with its registry credentials) for a revoked satellite.
                guard current.satellite.status == "registered" else {
                    throw GroundControlError(.unauthorized, "the satellite credential is unknown or revoked")
                }
                current.configuration = try await cache.configuration(
                    key: current.observed, covering: current.satellite)
                if !Self.matches(known, current.configuration.generation(of: current.satellite)) { break }
            }
        }
        try current.configuration.requireApproval(of: current.satellite)
        let signed = try cache.signedState(current.satellite, current.configuration)
        var headers: HTTPFields = [.eTag: Self.etag(signed.generation), .cacheControl: "no-store"]
        if let field = HTTPField.Name(StateSignature.header) { headers[field] = signed.signature }
        return APIBody.raw(signed.document, headers: headers)
    }

    static func etag(_ generation: Int64) -> String { "\"\(generation)\"" }

    /// Ends a long-poll so that the satellite heartbeats now: a credential rotation waits for
    /// its reply (`HeartbeatRequest`).
    private static func heartbeatRequested(_ request: SatelliteRequest) -> Response {
        var headers: HTTPFields = [.eTag: etag(request.configuration.generation(of: request.satellite))]
        if let field = HTTPField.Name(HeartbeatRequest.header) { headers[field] = HeartbeatRequest.requested }
        return Response(status: .notModified, headers: headers)
    }

    private static let prefer = HTTPField.Name("Prefer")!

    /// Seconds a long-poll vouches for its satellite past its wait: the next one is on its way.
    static let pollingSlack = 10.0

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
    func addOperationsRoutes(to router: Router<GroundControlContext>) {
        router.get("healthz") { _, _ in APIBody.raw(Data(#"{"status":"ok"}"#.utf8)) }
        router.get("readyz") { _, _ in
            guard keys.publicKey != nil else { throw GroundControlError(.unavailable, "starting") }
            _ = try await fleet.revision()
            return APIBody.raw(Data(#"{"status":"ready"}"#.utf8))
        }
        router.get("metrics") { _, _ in
            let text = metrics.render(fleet: (try? await satelliteViews()) ?? [], longPolls: await watcher.waiting)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        router.get("openapi.json") { _, _ in
            APIBody.raw(Data(GroundControlDocument.openAPI.utf8))
        }
    }
}
