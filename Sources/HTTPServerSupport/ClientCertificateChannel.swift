import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Client certificates on a TLS listener: asked for, never required. A client that presents
/// one has proven in the handshake that it holds the key; whether the chain is trusted is the
/// application's `check`, and what it said is read per request (`PeerCertificate.of`). The
/// handshake never fails on trust, so a refused client gets an HTTP error that says why, not
/// a TLS alert.
public struct ClientCertificatePolicy: Sendable {
    /// Whether the presented chain (leaf first, DER) leads to an authority the application trusts.
    public let check: @Sendable ([[UInt8]]) -> Bool

    public init(check: @escaping @Sendable ([[UInt8]]) -> Bool) {
        self.check = check
    }

    func verify(_ presented: [NIOSSLCertificate], _ promise: EventLoopPromise<NIOSSLVerificationResultWithMetadata>) {
        let der = presented.compactMap { try? $0.toDERBytes() }
        guard !presented.isEmpty, der.count == presented.count, check(der) else {
            promise.succeed(.certificateVerified(VerificationMetadata(nil)))
            return
        }
        promise.succeed(.certificateVerified(VerificationMetadata(ValidatedCertificateChain(presented))))
    }
}

/// What a request's client presented in its connection's handshake.
public enum PeerCertificate: Sendable {
    /// A chain the policy trusted.
    case trusted(PresentedChain)
    /// A certificate the policy did not trust (DER of the leaf).
    case untrusted(leaf: [UInt8])

    /// What the client on `channel` presented; nil for none, or a connection without TLS.
    public static func of(_ channel: any Channel) async -> PeerCertificate? {
        try? await channel.eventLoop.submit { () -> PeerCertificate? in
            guard let handler = try? channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self) else {
                return nil
            }
            if let chain = handler.peerValidatedCertificateChain {
                return (try? chain.leaf.toDERBytes()).map {
                    .trusted(PresentedChain(leaf: $0, certificates: Array(chain)))
                }
            }
            return (try? handler.peerCertificate?.toDERBytes()).map { .untrusted(leaf: $0) }
        }.get()
    }
}

/// A chain a client presented and the policy trusted: its leaf (what names the chain, for a
/// cache) at once, the rest only when asked for.
public struct PresentedChain: Sendable {
    public let leaf: [UInt8]
    let certificates: [NIOSSLCertificate]

    /// The chain in DER, leaf first.
    public var der: [[UInt8]] { certificates.compactMap { try? $0.toDERBytes() } }
}

/// HTTP/1.1 under TLS that asks for a client certificate (NIOSSL's optional verification) and
/// hands it to a `ClientCertificatePolicy`, or, without a policy, asks for none; the context is
/// taken per connection, so a renewed serving certificate is served from the next one on.
/// Hummingbird's own TLS channel takes no callback that keeps the chain, nor a context that
/// changes, hence this one.
struct ClientCertificateChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel
    let context: @Sendable () -> NIOSSLContext?
    let policy: ClientCertificatePolicy?

    var responder: HTTPChannelHandler.Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            guard let context = context() else {
                // Nothing to serve with yet: closed at once rather than left waiting.
                channel.close(promise: nil)
                throw NIOSSLError.noCertificateToValidate
            }
            let handler =
                if let policy {
                    NIOSSLServerHandler(
                        context: context, configuration: .init(),
                        customVerificationCallbackWithMetadata: { presented, promise in
                            policy.verify(presented, promise)
                        })
                } else {
                    NIOSSLServerHandler(context: context)
                }
            try channel.pipeline.syncOperations.addHandler(handler)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
