struct InMemoryCertificateRepository: CertificateRepository {
    let transaction: InMemoryTransaction

    func record(_ certificate: CertificateRecord) async throws {
        try transaction.change { tables in
            guard tables.certificates[certificate.serial] == nil else {
                throw FleetStoreError.constraint("a certificate with serial \(certificate.serial) exists")
            }
            tables.certificates[certificate.serial] = certificate
        }
    }

    func named(serial: String) async throws -> CertificateRecord? {
        transaction.read { $0.certificates[serial] }
    }

    func revokeAll(of satellite: String, issuedBefore: Int64?, at: Int64) async throws -> Int {
        transaction.change { tables in
            var count = 0
            for (serial, certificate) in tables.certificates
            where certificate.satellite == satellite && certificate.revokedAt == nil
                && certificate.issuedAt < issuedBefore ?? Int64.max
            {
                tables.certificates[serial] = CertificateRecord(
                    serial: serial, satellite: satellite, issuedAt: certificate.issuedAt,
                    notAfter: certificate.notAfter, revokedAt: at)
                count += 1
            }
            return count
        }
    }

    func unrevokedCount(of satellite: String, issuedBefore: Int64) async throws -> Int {
        transaction.read { tables in
            tables.certificates.values.count {
                $0.satellite == satellite && $0.revokedAt == nil && $0.issuedAt < issuedBefore
            }
        }
    }

    func prune(endedBefore before: Int64) async throws {
        transaction.change { tables in tables.certificates = tables.certificates.filter { $0.value.notAfter >= before }
        }
    }
}
