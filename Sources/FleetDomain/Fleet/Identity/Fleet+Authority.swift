import FleetIdentity
import Foundation

extension Fleet {
    /// The authority that signs satellites' certificates: the operator's when one is given,
    /// else the one in the database, made at first need. Every process on one database issues
    /// from the same authority: the first to make it stores it, the others read what it stored.
    public func certificateAuthority() async throws -> CertificateAuthority {
        if let given = identity.givenAuthority { return given }
        let at = now()
        // Asked at every enrolment: a read, and a key made only while there is none.
        var stored = try await store.read { records in try await Self.storedAuthority(records) }
        if stored == nil {
            let candidate = try CertificateAuthority.make(trustDomain: identity.trustDomain, now: at)
            let candidateCertificate = try candidate.bundlePEM
            let candidateKey = try candidate.privateKeyPEM
            stored = try await change(by: .admin) { changes in
                let meta = changes.records.meta
                if try await meta.setIfAbsent(MetaKey.authorityKey, to: candidateKey) {
                    try await meta.set(MetaKey.authorityCertificate, to: candidateCertificate)
                    changes.audit("authority.created", identity.trustDomain)
                }
                return try await Self.storedAuthority(changes.records)
            }
        }
        guard let (certificate, key) = stored else {
            throw FleetStoreError.corrupt("fleet_meta holds half of the certificate authority")
        }
        do {
            return try CertificateAuthority(certificatePEM: certificate, privateKeyPEM: key, now: at)
        } catch {
            throw FleetStoreError.corrupt("the certificate authority in the database cannot be used: \(error)")
        }
    }

    /// The stored authority's certificate and key (PEM), when both are there.
    private static func storedAuthority(_ records: FleetRecords) async throws -> (String, String)? {
        guard let certificate = try await records.meta.value(MetaKey.authorityCertificate),
            let key = try await records.meta.value(MetaKey.authorityKey)
        else { return nil }
        return (certificate, key)
    }
}
