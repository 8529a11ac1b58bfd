import FleetIdentity
import Foundation
import GroundControlClient
import Logging
import SatelliteProtocol
import X509

extension GroundControlLink {
    /// Renews the certificate two thirds into its life, at once when Ground Control asked for
    /// a new key, and at once for a satellite that has none (registered before certificates,
    /// it moves to one here). Retried while Ground Control is out of reach; a refusal is said
    /// with what to do, and the satellite keeps serving meanwhile.
    func renewCertificates(_ session: Session, files: IdentityFiles) async {
        var failures = 0
        while !Task.isCancelled {
            let seen = renewal.version
            let identity = await session.identity
            let rotation = await session.keyRotationRequested
            let due = await session.fellBack ? .distantPast : identity.renewalDate ?? .distantPast
            if rotation == nil && due > Date() {
                // Looked at again within the hour, so a clock set forward is noticed.
                let wait = min(due.timeIntervalSinceNow, 3600)
                await renewal.wait(beyond: seen, timeout: .milliseconds(Int64(wait * 1000) + 1))
                continue
            }
            do {
                try await renew(session, from: identity, newKey: rotation, files: files)
                failures = 0
            } catch let error as RenewalUnsupported {
                logger.notice("\(error)")
                return
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.warning("cannot renew the satellite's certificate; retrying", metadata: ["error": "\(error)"])
                let delay = RetryDelay.after(failures: failures, maximum: options.maximumBackoff)
                await renewal.wait(beyond: renewal.version, timeout: delay)
            }
        }
    }

    private func renew(
        _ session: Session, from identity: ClientIdentity, newKey rotation: Int?, files: IdentityFiles
    ) async throws {
        let key = rotation != nil ? DeviceKey() : identity.key
        let named = identity.certificate.flatMap { try? PresentedIdentity($0).id }
        let (credentials, client, _) = await session.current
        let reply = try await client.send(
            "POST", "/api/v1/certificate", bearer: credentials.credential,
            json: CertificateRenewalRequest(csr: try key.request(for: named)))
        switch reply.status {
        case 200:
            let renewed = try reply.decode(CertificateRenewalResponse.self)
            let next = try ClientIdentity(
                key: key, chain: try Certificate.all(inPEM: renewed.certificate, what: "certificate"))
            try files.replace(with: next)
            try files.saveTrustBundle(renewed.trustBundle)
            try await session.setIdentity(
                next, rotated: rotation, trust: try? CertificateTrust(bundlePEM: renewed.trustBundle))
            logger.info(
                rotation != nil ? "certificate renewed for a new key" : "certificate renewed",
                metadata: ["validUntil": "\(next.certificate?.notValidAfter ?? Date())"])
        case 404:
            throw RenewalUnsupported()
        case 401:
            let ended = identity.certificate.map { " (it ended at \($0.notValidAfter))" } ?? ""
            logger.error(
                """
                Ground Control refused to renew the certificate of \(credentials.name)\(ended): \(reply.errorMessage). \
                The store keeps serving what it holds. To rejoin, create a registration token (satctl satellites \
                token \(credentials.name)), remove \(GroundControlCredentials.path(in: options.dataDirectory)) and \
                start again with --token
                """
            )
            throw LinkError("certificate renewal refused: \(reply.errorMessage)")
        default:
            throw LinkError("Ground Control answered \(reply.status) to the renewal: \(reply.errorMessage)")
        }
    }
}

/// Ground Control is older than certificate renewal: the satellite goes on with its credential.
struct RenewalUnsupported: Error, CustomStringConvertible {
    var description: String { "Ground Control does not renew certificates (an older version); using the credential" }
}
