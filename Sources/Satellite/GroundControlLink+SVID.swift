import FleetIdentity
import Foundation
import Logging
import ServiceLifecycle
import X509

extension GroundControlLink {
    /// The SVID once its files are there and usable; the satellite waits for a SPIFFE agent
    /// started with it, saying why. Nil when stopped while waiting.
    func firstSVID(_ files: inout SVIDFiles?) async throws -> (ClientIdentity, CertificateTrust)? {
        guard var svid = files else { return nil }
        defer { files = svid }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                if let (identity, trust) = try svid.changed() {
                    logger.info("identity from the SVID files", metadata: metadata(of: identity))
                    return (identity, trust)
                }
            } catch {
                logger.warning("\(error)")
            }
            try? await Task.sleep(for: options.svidPollInterval)
        }
        return nil
    }

    /// Presents the SVID the files hold from each change on: SPIRE renews it, nothing here does.
    /// What cannot be used is said once per change, and the SVID before it kept.
    func followSVID(_ session: Session, files: SVIDFiles) async {
        var files = files
        while !Task.isCancelled {
            // A refusal of an ended SVID wakes this at once, to look for the next.
            await renewal.wait(beyond: renewal.version, timeout: options.svidPollInterval)
            do {
                guard let (identity, trust) = try files.changed() else { continue }
                try await session.setIdentity(identity, rotated: nil, trust: trust)
                logger.info("SVID rotated", metadata: metadata(of: identity))
            } catch {
                logger.warning("\(error); presenting the SVID before it")
            }
        }
    }

    private func metadata(of identity: ClientIdentity) -> Logger.Metadata {
        guard let certificate = identity.certificate else { return [:] }
        let id = (try? PresentedIdentity(certificate).id.description) ?? "?"
        return ["spiffeID": "\(id)", "validUntil": "\(certificate.notValidAfter)"]
    }
}
