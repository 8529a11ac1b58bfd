import DurableFiles
import FleetIdentity
import Foundation
import X509

/// Where a SPIRE agent (or spiffe-helper) keeps the satellite's X.509-SVID: the certificate
/// with its intermediates, the key (owner-only), and the trust domain's bundle
/// (`--svid-cert`, `--svid-key`, `--svid-bundle`).
public struct SVIDPaths: Sendable, Equatable {
    public var certificate: String
    public var key: String
    public var bundle: String

    public init(certificate: String, key: String, bundle: String) {
        self.certificate = certificate
        self.key = key
        self.bundle = bundle
    }
}

/// The satellite's identity when an operator's SPIFFE authority gives it: read from the files
/// SPIRE rewrites as it rotates them, and again whenever they change. Nothing is renewed here.
package struct SVIDFiles: Sendable {
    let paths: SVIDPaths
    private var files: WatchedFiles

    package init(_ paths: SVIDPaths) {
        self.paths = paths
        files = WatchedFiles([paths.certificate, paths.key, paths.bundle])
    }

    /// The identity in the files when they changed since the last look (nil when they did not),
    /// or why what they hold now cannot be used: a writer between the certificate and the key,
    /// a key others may read, a certificate its own bundle does not lead to.
    package mutating func changed() throws(SVIDError) -> (identity: ClientIdentity, trust: CertificateTrust)? {
        let paths = paths
        let read = { (path: String) throws(SVIDError) -> Data? in
            do {
                return path == paths.key ? try PrivateFile.read(path) : FileManager.default.contents(atPath: path)
            } catch {
                throw SVIDError(description: "the SVID key \(path) \(error)")
            }
        }
        guard let contents = try files.changed(read: read) else { return nil }
        let text = contents.map { $0.map { String(decoding: $0, as: UTF8.self) } }
        for (path, file) in zip(files.paths, text) where file == nil {
            throw SVIDError(description: "cannot read \(path) (waiting for the SPIFFE agent to write it)")
        }
        do throws(IdentityError) {
            let identity = try ClientIdentity(pem: (text[1] ?? "") + "\n" + (text[0] ?? ""))
            guard identity.certificate != nil else {
                throw IdentityError(.malformed, "\(paths.certificate) holds no certificate")
            }
            let trust = try CertificateTrust(spiffeBundle: text[2] ?? "")
            _ = try PresentedIdentity(identity.chain[0])
            // spiffe-helper's add_intermediates_to_bundle moves the intermediates from the
            // certificate file to the bundle (pkg/disk/x509.go): the path found through the
            // bundle, short of its self-signed root, is what Ground Control must be shown.
            let path: [Certificate]
            do {
                path = try trust.path(identity.chain)
            } catch  where error.code == .untrusted {
                throw IdentityError(
                    .untrusted, "\(paths.certificate) was not issued by an authority of \(paths.bundle)")
            }
            let presented = Array(path.prefix { $0 == path[0] || $0.subject != $0.issuer })
            return (try ClientIdentity(key: identity.key, chain: presented), trust)
        } catch {
            throw SVIDError(description: "the SVID files cannot be used yet: \(error.message)")
        }
    }
}

package struct SVIDError: Error, CustomStringConvertible {
    package let description: String
}
