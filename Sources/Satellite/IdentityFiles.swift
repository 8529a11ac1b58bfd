import DurableFiles
import FleetIdentity
import Foundation
import GroundControlClient
import HTTPServerSupport
import NIOSSL

/// The satellite's own key and certificate in its data directory. `identity.pem` holds the key
/// (made at first start) and, once enrolled, the certificate chain; `identity.previous.pem`
/// the pair the last renewal replaced. Both owner-only; the key is never written anywhere else.
struct IdentityFiles: Sendable {
    let dataDirectory: DataDirectory

    /// The identity, with a new key made when there is none.
    func loadOrCreate() throws -> ClientIdentity {
        if let current = try load(dataDirectory.identity) { return current }
        let made = try ClientIdentity(key: DeviceKey())
        // Not replaced if another process made one first: the file's key is the key.
        _ = try PrivateFile.create(Data(try made.pem.utf8), at: dataDirectory.identity)
        guard let current = try load(dataDirectory.identity) else {
            throw IdentityFileError(path: dataDirectory.identity, reason: "vanished as it was made")
        }
        return current
    }

    /// The pair the last renewal replaced, if there is one.
    func previous() throws -> ClientIdentity? {
        try load(dataDirectory.previousIdentity)
    }

    /// Keeps `new` as the identity, and the one it replaces as the previous: written whole, so a
    /// crash leaves one pair or the other.
    func replace(with new: ClientIdentity) throws {
        if let current = try? load(dataDirectory.identity), current.certificate != nil {
            try DurableFile.write(Data(try current.pem.utf8), to: dataDirectory.previousIdentity, mode: .exactly(0o600))
        }
        try DurableFile.write(Data(try new.pem.utf8), to: dataDirectory.identity, mode: .exactly(0o600))
    }

    /// The serving key and certificate from Ground Control, if there are.
    func serving() throws -> ClientIdentity? {
        try load(dataDirectory.servingIdentity)
    }

    /// Keeps the serving key and certificate, written whole.
    func saveServing(_ identity: ClientIdentity) throws {
        try DurableFile.write(
            Data(try identity.pem.utf8), to: dataDirectory.servingIdentity, mode: .exactly(0o600))
    }

    /// The admission webhook's key and certificate from Ground Control, if there are.
    func admission() throws -> ClientIdentity? {
        try load(dataDirectory.admissionIdentity)
    }

    /// Keeps the admission webhook's key and certificate, written whole.
    func saveAdmission(_ identity: ClientIdentity) throws {
        try DurableFile.write(
            Data(try identity.pem.utf8), to: dataDirectory.admissionIdentity, mode: .exactly(0o600))
    }

    /// The authority's bundle Ground Control sent last, if there is one that parses.
    func trustBundle() -> CertificateTrust? {
        FileManager.default.contents(atPath: dataDirectory.trustBundle).flatMap {
            try? CertificateTrust(bundlePEM: String(decoding: $0, as: UTF8.self))
        }
    }

    /// Keeps the authority's bundle Ground Control sent (public: peers are checked against it).
    func saveTrustBundle(_ pem: String) throws {
        try DurableFile.write(Data(pem.utf8), to: dataDirectory.trustBundle, mode: .created(0o644))
    }

    private func load(_ path: String) throws -> ClientIdentity? {
        let data: Data?
        do {
            data = try PrivateFile.read(path)
        } catch {
            throw IdentityFileError(path: path, reason: "\(error)")
        }
        guard let data else { return nil }
        do {
            return try ClientIdentity(pem: String(decoding: data, as: UTF8.self))
        } catch {
            throw IdentityFileError(path: path, reason: error.message)
        }
    }
}

/// The identity file cannot be used: the satellite stops and says which and why.
struct IdentityFileError: Error, CustomStringConvertible {
    let path: String
    let reason: String

    var description: String { "the identity file \(path) \(reason)" }
}

extension ClientIdentity {
    /// `base` presenting this identity's certificate, when it has one.
    func presented(on base: TLSConfiguration) throws -> TLSConfiguration {
        guard certificate != nil else { return base }
        return try base.presenting(chainDER: try chainDER, privateKeyPEM: try key.pem)
    }
}

extension ServingTLS {
    /// Serves `identity`'s certificate from the next connection on (nothing without one).
    func serve(_ identity: ClientIdentity) throws {
        guard identity.certificate != nil else { return }
        try set(chainDER: try identity.chainDER, privateKeyPEM: try identity.key.pem)
    }
}
