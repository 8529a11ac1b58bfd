import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL

extension HTTPServerBuilder {
    /// Plain HTTP/1.1, or HTTPS when both PEM files are given.
    public static func http1(tlsCertificatePath: String?, tlsKeyPath: String?) throws -> HTTPServerBuilder {
        switch (tlsCertificatePath, tlsKeyPath) {
        case (nil, nil):
            return .http1()
        case (let certificate?, let key?):
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
            return try .tls(.http1(), tlsConfiguration: tls)
        default:
            throw SettingsError("--tls-cert and --tls-key must be given together")
        }
    }
}
