import ArgumentParser
import DurableFiles
import FleetDomain
import FleetIdentity
import Foundation
import ProgramSupport

/// The settings of satellites' identity, shared by `serve` and `ca export`.
struct IdentityOptions: ParsableArguments {
    @Option(
        name: .customLong("trust-domain"),
        help: "The SPIFFE trust domain satellites' certificates name (default harbor-satellite.local).")
    var trustDomain: String?

    @Option(
        name: .customLong("certificate-lifetime"),
        help: "Seconds a satellite's certificate is valid (default 86400).")
    var certificateLifetime: String?

    @Option(
        name: .customLong("ca-cert"),
        help: "An operator's intermediate CA (PEM, its chain after it) to issue from, instead of Ground Control's own.")
    var caCertificate: String?

    @Option(name: .customLong("ca-key-file"), help: "The private key of --ca-cert (PEM, owner-only).")
    var caKeyFile: String?

    @Option(
        name: .customLong("reenrol-expired"),
        help:
            """
            Seconds after its certificate ended that a satellite may still renew with it, having been offline \
            (default 2592000, 30 days; 0 to need a new token).
            """
    )
    var reenrolExpired: String?

    @Option(
        name: .customLong("spiffe-trust-bundle"),
        help:
            """
            Take satellites' certificates from an operator's SPIFFE authority (SPIRE) instead: its trust bundle \
            (PEM, or the SPIFFE bundle format), re-read when it changes. Goes with --spiffe-id-pattern.
            """
    )
    var spiffeTrustBundle: String?

    @Option(
        name: .customLong("spiffe-id-pattern"),
        help: "The SPIFFE IDs of satellites under --spiffe-trust-bundle, e.g. spiffe://example.org/edge/{name}.")
    var spiffeIDPattern: String?

    func flags(into flags: inout FlagValues) {
        flags.set("trust-domain", trustDomain)
        flags.set("certificate-lifetime", certificateLifetime)
        flags.set("ca-cert", caCertificate)
        flags.set("ca-key-file", caKeyFile)
        flags.set("reenrol-expired", reenrolExpired)
        flags.set("spiffe-trust-bundle", spiffeTrustBundle)
        flags.set("spiffe-id-pattern", spiffeIDPattern)
    }
}

extension IdentitySettings {
    /// From `trust-domain`, `certificate-lifetime`, `ca-cert`, `ca-key-file`, `reenrol-expired` and
    /// `spiffe-id-pattern`; an operator's authority is read and checked here, so a bad one stops
    /// the start.
    init(_ settings: SettingSources) throws {
        let trustDomain = settings.string("trust-domain", default: IdentitySettings.defaultTrustDomain)
        do {
            try SPIFFEID.checkTrustDomain(trustDomain)
        } catch {
            throw SettingsError("trust-domain: \(error.message)")
        }
        let lifetime = try settings.seconds("certificate-lifetime", default: 86400, lowest: 300).secondsValue
        var given: CertificateAuthority?
        switch (settings.string("ca-cert"), settings.string("ca-key-file")) {
        case (nil, nil):
            break
        case (let certificate?, let key?):
            given = try Self.authority(certificate: certificate, key: key)
        default:
            throw SettingsError("ca-cert and ca-key-file go together")
        }
        let reenrol = try settings.seconds("reenrol-expired", default: 30 * 86400).secondsValue
        var external: SPIFFEIDPattern?
        if let pattern = settings.string("spiffe-id-pattern") {
            do {
                external = try SPIFFEIDPattern(pattern)
            } catch {
                throw SettingsError(error.message)
            }
        }
        self.init(
            trustDomain: trustDomain, certificateLifetime: lifetime, givenAuthority: given, reenrolExpired: reenrol,
            externalPattern: external)
    }

    private static func authority(certificate: String, key: String) throws -> CertificateAuthority {
        guard let chain = FileManager.default.contents(atPath: certificate) else {
            throw SettingsError("ca-cert: cannot read \(certificate)")
        }
        let keyBytes: Data?
        do {
            keyBytes = try PrivateFile.read(key)
        } catch {
            throw SettingsError("ca-key-file \(key) \(error)")
        }
        guard let keyBytes else { throw SettingsError("ca-key-file: there is no file \(key)") }
        do {
            return try CertificateAuthority(
                certificatePEM: String(decoding: chain, as: UTF8.self),
                privateKeyPEM: String(decoding: keyBytes, as: UTF8.self), now: Date())
        } catch {
            throw SettingsError(error.message)
        }
    }
}
