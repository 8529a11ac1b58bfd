import Foundation
import TestSupport

/// Plays SPIRE's part, which cannot run here: authorities and X.509-SVIDs made by openssl in
/// the shape SPIRE gives them, written to disk the way spiffe-helper writes them.
///
/// - spire `pkg/server/credtemplate/builder.go`: an authority's subject is C=US, O=SPIFFE with
///   its serial as serialNumber (so rotated authorities differ by subject), key usage
///   certSign and cRLSign, CA; every certificate carries its SPIFFE ID as a URI name (the
///   authority's is the trust domain's). An SVID's subject is C=US, O=SPIRE, key usage
///   digitalSignature, keyEncipherment and keyAgreement, extended usage serverAuth and
///   clientAuth, not a CA.
/// - spiffe-helper `pkg/disk/x509.go`: the key is PKCS #8; the certificate file, then the key
///   file (0600), then the bundle are each rewritten in place with `os.WriteFile` (truncated,
///   then written; not renamed), so a reader may see one new and one old.
struct SPIREStandIn {
    let work: TemporaryDirectory
    let openssl: String
    let trustDomain = "example.org"

    init(work: TemporaryDirectory) throws {
        self.work = work
        openssl = try requireTool("openssl", package: "openssl")
    }

    /// Authority `number`'s certificate (PEM).
    func authority(_ number: Int) -> String { work.appending("spire-ca-\(number).pem") }

    func makeAuthority(_ number: Int) async throws {
        try await runChecked(
            openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-keyout", work.appending("spire-ca-\(number).key"), "-out", authority(number),
                "-subj", "/C=US/O=SPIFFE/serialNumber=\(number)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-addext", "subjectAltName=URI:spiffe://\(trustDomain)",
            ])
    }

    /// An SVID naming `id` from authority `number`: its certificate and key (PEM), and both in
    /// one file (what curl is given).
    func mint(id: String, by number: Int, label: String) async throws -> (certificate: Data, key: Data, pair: String) {
        let base = work.appending("svid-\(label)")
        try "subjectAltName=URI:\(id)\nbasicConstraints=critical,CA:FALSE\n"
            .appending("keyUsage=critical,digitalSignature,keyEncipherment,keyAgreement\n")
            .appending("extendedKeyUsage=serverAuth,clientAuth\n")
            .write(toFile: base + ".ext", atomically: true, encoding: .utf8)
        try await runChecked(
            openssl,
            [
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                base + ".key", "-out", base + ".csr", "-subj", "/C=US/O=SPIRE",
            ])
        try await runChecked(
            openssl,
            [
                "x509", "-req", "-in", base + ".csr", "-CA", authority(number), "-CAkey",
                work.appending("spire-ca-\(number).key"), "-set_serial", "0x\(UUID().uuidString.prefix(8))",
                "-days", "1", "-extfile", base + ".ext", "-out", base + ".crt",
            ])
        let certificate = try Data(contentsOf: URL(fileURLWithPath: base + ".crt"))
        let key = try Data(contentsOf: URL(fileURLWithPath: base + ".key"))
        try (key + certificate).write(to: URL(fileURLWithPath: base + ".pem"))
        return (certificate, key, base + ".pem")
    }

    /// The bundle of authorities `numbers`, as SPIRE lists them.
    func bundle(_ numbers: [Int]) throws -> Data {
        try numbers.reduce(Data()) { $0 + (try Data(contentsOf: URL(fileURLWithPath: authority($1)))) }
    }

    /// Writes an SVID and its bundle as spiffe-helper does: in place, certificate first.
    static func write(certificate: Data, key: Data, bundle: Data, to directory: String) throws {
        try rewrite(directory + "/svid.pem", certificate, mode: 0o644)
        try rewrite(directory + "/svid_key.pem", key, mode: 0o600)
        try rewrite(directory + "/svid_bundle.pem", bundle, mode: 0o644)
    }

    /// Truncated and written through one descriptor, as `os.WriteFile` does.
    static func rewrite(_ path: String, _ bytes: Data, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: bytes)
    }
}
