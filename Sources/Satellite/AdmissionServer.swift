import Admission
import HTTPServerSupport
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import RegistryStore
import ServiceLifecycle

/// The Kubernetes admission webhook's listener (`--admission-listen`): `POST /mutate` answers
/// `AdmissionReview`s, `GET /healthz` says it is up. TLS only: the API server calls webhooks
/// over HTTPS and checks the certificate against the webhook configuration's `caBundle`. The
/// certificate files are re-read when they change (`AdmissionCertificate`).
public struct AdmissionWebhook: Sendable {
    /// Where the webhook's certificate comes from.
    public enum Certificate: Sendable, Equatable {
        /// PEM files, re-read when they change (`--admission-tls-cert`, `--admission-tls-key`).
        case files(certificate: String, key: String)
        /// Ground Control's authority, for these names (`--admission-tls-from-ground-control`):
        /// the webhook Service's DNS name, which the API server checks.
        case groundControl(names: [String])
    }

    public var host: String
    public var port: Int
    public var certificate: Certificate
    /// `host[:port]` pods are sent to pull from (the first `--advertise`).
    public var advertised: String
    /// Add the digest the state pins to a rewritten tag (`--admission-pin-digests`).
    public var pinDigests: Bool
    public var limits = ServerLimits()

    /// Reviews larger than this are refused with 413 (an object in etcd is at most 1.5 MiB;
    /// a review carries it and its previous version).
    static let maximumBody = 8 << 20

    public init(host: String, port: Int, certificate: Certificate, advertised: String, pinDigests: Bool) {
        self.host = host
        self.port = port
        self.certificate = certificate
        self.advertised = advertised
        self.pinDigests = pinDigests
    }

    /// The listener and its certificate's watcher, as services; `onServing` hears the port it took.
    /// `fromGroundControl` is what a certificate from Ground Control is served with.
    func services(
        mirror: any ImageMirror, fromGroundControl: ServingTLS?, logger: Logger,
        onServing: @escaping @Sendable (Int) -> Void
    ) throws -> [any Service] {
        switch certificate {
        case .files(let certificatePath, let keyPath):
            let watched = try AdmissionCertificate(certificatePath: certificatePath, keyPath: keyPath, logger: logger)
            return [
                try application(mirror: mirror, serving: watched.serving, logger: logger, onServing: onServing),
                watched,
            ]
        case .groundControl:
            guard let fromGroundControl else {
                throw ServerTLSError(description: "admission-tls-from-ground-control: needs --ground-control")
            }
            return [try application(mirror: mirror, serving: fromGroundControl, logger: logger, onServing: onServing)]
        }
    }

    /// The names to ask Ground Control a certificate for, when it gives the webhook's.
    public var namesFromGroundControl: [String]? {
        if case .groundControl(let names) = certificate { names } else { nil }
    }

    private func application(
        mirror: any ImageMirror, serving: ServingTLS, logger: Logger, onServing: @escaping @Sendable (Int) -> Void
    ) throws -> some ApplicationProtocol {
        let mutator = AdmissionMutator(mirror: mirror)
        let router = Router()
        router.post("mutate") { request, _ -> Response in
            let body = try await request.body.collect(upTo: Self.maximumBody)
            let answer = await mutator.answer(body.readableBytesView)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer)))
        }
        router.get("healthz") { _, _ in "ok\n" }
        let server = try HTTPServerBuilder.http1(
            tlsCertificatePath: nil, tlsKeyPath: nil, limits: limits, serving: serving)
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in onServing(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
