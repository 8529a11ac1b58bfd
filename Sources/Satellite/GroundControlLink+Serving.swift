import FleetIdentity
import Foundation
import GroundControlClient
import HTTPServerSupport
import Logging
import SatelliteProtocol
import X509

extension GroundControlLink {
    /// Keeps the certificate the satellite serves with (`--tls-from-ground-control`): asked for
    /// at once when there is none, and for a new key two thirds into its life, as the client
    /// one is renewed; each is kept in `serving.pem` and served from the next connection on.
    /// Until the first arrives the listener closes connections; later failures are retried
    /// while the one held goes on serving.
    func keepServingCertificate(
        _ session: Session, serving: ServingTLS, names: [String], files: IdentityFiles
    ) async {
        var failures = 0
        while !Task.isCancelled {
            let seen = renewal.version
            let held = try? files.serving()
            if let held, !serving.isReady { try? serving.serve(held) }
            let rotate = await session.servingRotationRequested
            // A certificate for other names (--advertise changed) is replaced at once.
            let named = held?.certificate.map { certificate in
                names.allSatisfy { (try? ServingName($0))?.isNamed(by: certificate) == true }
            }
            let due = named == true ? held?.renewalDate ?? .distantPast : .distantPast
            if !rotate && due > Date() {
                let wait = min(due.timeIntervalSinceNow, 3600)
                await renewal.wait(beyond: seen, timeout: .milliseconds(Int64(wait * 1000) + 1))
                continue
            }
            do {
                let (next, bundle) = try await requestServingCertificate(session, names: names)
                try files.saveServing(next)
                // What devices and peers trust it by, even where satellites' identities are SPIRE's.
                try files.saveTrustBundle(bundle)
                try serving.serve(next)
                if rotate { await session.servingRotated() }
                failures = 0
                logger.info(
                    "serving certificate from Ground Control",
                    metadata: [
                        "names": "\(names.joined(separator: ","))",
                        "validUntil": "\(next.certificate?.notValidAfter ?? Date())",
                    ])
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.warning("cannot get a serving certificate; retrying", metadata: ["error": "\(error)"])
                await renewal.wait(
                    beyond: renewal.version,
                    timeout: RetryDelay.after(failures: failures, maximum: options.maximumBackoff))
            }
        }
    }

    private func requestServingCertificate(
        _ session: Session, names: [String]
    ) async throws -> (ClientIdentity, bundle: String) {
        let key = DeviceKey()
        let (credentials, client, _) = await session.current
        let reply = try await client.send(
            "POST", "/api/v1/serving-certificate", bearer: credentials.credential,
            json: ServingCertificateRequest(csr: try key.request(for: nil), names: names))
        guard reply.status == 200 else {
            throw LinkError("Ground Control answered \(reply.status) for a serving certificate: \(reply.errorMessage)")
        }
        let issued = try reply.decode(CertificateRenewalResponse.self)
        let chain = try Certificate.all(inPEM: issued.certificate, what: "certificate")
        return (try ClientIdentity(key: key, chain: chain), issued.trustBundle)
    }
}
