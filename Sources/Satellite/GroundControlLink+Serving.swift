import FleetIdentity
import Foundation
import GroundControlClient
import HTTPServerSupport
import Logging
import SatelliteProtocol
import X509

/// A listener's certificate from Ground Control's authority: for which names, what serves it,
/// and where it is kept.
struct ServedCertificate: Sendable {
    let names: [String]
    let serving: ServingTLS
    let load: @Sendable () throws -> ClientIdentity?
    let save: @Sendable (ClientIdentity) throws -> Void
    /// Whether Ground Control's request for new keys (`satctl satellites rotate`) is this one's to
    /// answer at once; another is given a new key at its next renewal.
    let followsRotation: Bool

    /// The registry's (`--tls-from-ground-control`), kept in `serving.pem`.
    static func registry(_ serving: ServingTLS, names: [String], files: IdentityFiles) -> ServedCertificate {
        ServedCertificate(
            names: names, serving: serving, load: { try files.serving() }, save: { try files.saveServing($0) },
            followsRotation: true)
    }

    /// The admission webhook's (`--admission-tls-from-ground-control`), kept in `admission.pem`.
    static func admission(_ serving: ServingTLS, names: [String], files: IdentityFiles) -> ServedCertificate {
        ServedCertificate(
            names: names, serving: serving, load: { try files.admission() }, save: { try files.saveAdmission($0) },
            followsRotation: false)
    }
}

extension GroundControlLink {
    /// Keeps a certificate a listener serves with: asked for at once when there is none, and for
    /// a new key two thirds into its life, as the client one is renewed; each is kept and served
    /// from the next connection on. Until the first arrives the listener closes connections;
    /// later failures are retried while the one held goes on serving.
    func keepServingCertificate(_ session: Session, _ served: ServedCertificate, files: IdentityFiles) async {
        let (serving, names) = (served.serving, served.names)
        var failures = 0
        while !Task.isCancelled {
            let seen = renewal.version
            let held = try? served.load()
            if let held, !serving.isReady { try? serving.serve(held) }
            let rotation = served.followsRotation ? await session.servingRotationRequested : nil
            // A certificate for other names (--advertise changed) is replaced at once.
            let named = held?.certificate.map { certificate in
                names.allSatisfy { (try? ServingName($0))?.isNamed(by: certificate) == true }
            }
            let due = named == true ? held?.renewalDate ?? .distantPast : .distantPast
            if rotation == nil && due > Date() {
                let wait = min(due.timeIntervalSinceNow, 3600)
                await renewal.wait(beyond: seen, timeout: .milliseconds(Int64(wait * 1000) + 1))
                continue
            }
            do {
                let (next, bundle) = try await requestServingCertificate(session, names: names)
                try served.save(next)
                // What devices and peers trust it by, even where satellites' identities are SPIRE's.
                try files.saveTrustBundle(bundle)
                try serving.serve(next)
                if let rotation { await session.servingRotated(upTo: rotation) }
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
