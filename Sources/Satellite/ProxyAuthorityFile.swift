import DurableFiles
import FleetIdentity
import Foundation

/// The site CA of the HTTPS proxy: the operator's (`--proxy-ca-cert`, `--proxy-ca-key`), or one
/// made at first start and kept in the data directory (`proxy-ca.pem`, owner-only), so that the
/// devices that trust it keep trusting it across restarts.
public enum ProxyAuthorityFile {
    /// The operator's authority when both files are given, else the data directory's, made when
    /// there is none.
    public static func load(
        dataDirectory: DataDirectory, certificatePath: String? = nil, keyPath: String? = nil, now: Date = Date()
    ) throws -> CertificateAuthority {
        if let certificatePath, let keyPath {
            return try given(certificatePath: certificatePath, keyPath: keyPath, now: now)
        }
        let path = dataDirectory.proxyAuthority
        if let kept = try read(path) { return try parse(kept, path: path, now: now) }
        let host = ProcessInfo.processInfo.hostName
        let made = try CertificateAuthority.make(commonName: "Harbor Satellite proxy CA \(host)", now: now)
        // Another process may have made one first: the file's authority is the authority.
        _ = try PrivateFile.create(Data(try made.combinedPEM.utf8), at: path)
        guard let kept = try read(path) else {
            throw ProxyAuthorityError(path: path, reason: "vanished as it was made")
        }
        return try parse(kept, path: path, now: now)
    }

    /// The authority's certificate in PEM: what devices and runtimes are given to trust.
    public static func certificatePEM(_ authority: CertificateAuthority) throws -> String {
        try authority.certificate.pem + "\n"
    }

    private static func given(certificatePath: String, keyPath: String, now: Date) throws -> CertificateAuthority {
        guard let certificate = FileManager.default.contents(atPath: certificatePath) else {
            throw ProxyAuthorityError(path: certificatePath, reason: "cannot be read")
        }
        guard let key = try read(keyPath) else { throw ProxyAuthorityError(path: keyPath, reason: "does not exist") }
        do {
            return try CertificateAuthority(
                certificatePEM: String(decoding: certificate, as: UTF8.self),
                privateKeyPEM: String(decoding: key, as: UTF8.self), now: now)
        } catch {
            throw ProxyAuthorityError(path: certificatePath, reason: error.message)
        }
    }

    private static func read(_ path: String) throws -> Data? {
        do {
            return try PrivateFile.read(path)
        } catch {
            throw ProxyAuthorityError(path: path, reason: "\(error)")
        }
    }

    private static func parse(_ data: Data, path: String, now: Date) throws -> CertificateAuthority {
        do {
            return try CertificateAuthority(combinedPEM: String(decoding: data, as: UTF8.self), now: now)
        } catch {
            throw ProxyAuthorityError(path: path, reason: error.message)
        }
    }
}

/// The proxy's authority cannot be used: the satellite stops and says which file and why.
public struct ProxyAuthorityError: Error, CustomStringConvertible {
    let path: String
    let reason: String

    public var description: String { "proxy CA \(path): \(reason)" }
}
