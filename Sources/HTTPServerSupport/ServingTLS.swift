import NIOSSL
import Synchronization

/// The certificate a listener serves with when it changes while the listener runs (a satellite's
/// serving certificate from Ground Control, renewed two thirds into its life): each new
/// connection takes the one current then. Until there is one, connections are closed at once.
public final class ServingTLS: Sendable {
    private let context = Mutex<NIOSSLContext?>(nil)
    /// Whether connections are asked for client certificates (never required).
    let asksClientCertificates: Bool

    public init(asksClientCertificates: Bool) {
        self.asksClientCertificates = asksClientCertificates
    }

    /// Serves `chainDER` (leaf first) with `privateKeyPEM` from the next connection on.
    public func set(chainDER: [[UInt8]], privateKeyPEM: String) throws {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try chainDER.map { .certificate(try NIOSSLCertificate(bytes: $0, format: .der)) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        if asksClientCertificates { tls.certificateVerification = .optionalVerification }
        let made = try NIOSSLContext(configuration: tls)
        context.withLock { $0 = made }
    }

    public var isReady: Bool { context.withLock { $0 != nil } }

    var current: NIOSSLContext? { context.withLock { $0 } }
}
