import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import NIOPosix
import NIOSSL

/// What a forward proxy does with a target; the application decides (`ForwardProxyPolicy`).
public enum ProxyRoute: Sendable {
    /// Serve the target here: TLS with `tls` for a `CONNECT`, then the server's own responder for
    /// each request, told the target by `rewrite`.
    case serve(tls: NIOSSLContext)
    /// Relay bytes to this address untouched.
    case tunnel(SocketAddress)
    /// Answer with this status (403, 502) and why.
    case refuse(HTTPResponse.Status, String)
}

/// The application's half of a forward proxy: where each target goes, and how a request served
/// here is told which target it was sent to.
public protocol ForwardProxyPolicy: Sendable {
    /// The route for a `CONNECT` to `target`.
    func route(_ target: ProxyTarget) async -> ProxyRoute
    /// The request to serve for one sent to `target` (through a `CONNECT`, or in the plain with
    /// the target as its `Host`); nil when this proxy serves nothing for `target`.
    func rewrite(_ request: Request, for target: ProxyTarget) -> Request?
    /// Hears each tunnel open and close.
    func tunnel(opened: Bool)
}

extension ForwardProxyPolicy {
    public func tunnel(opened: Bool) {}
}

/// A connection to an HTTP forward proxy (`HTTPS_PROXY`): the first request head decides what it
/// becomes. `CONNECT host:port` is refused, tunnelled, or answered `200` and served here under TLS
/// as if this server were `host`; any other request is served here when its `Host` is one the
/// policy serves, else refused with 403. Bounded like the other listeners: a ceiling on
/// connections (tunnels count too), a head timeout, and an idle timeout on tunnels.
struct ForwardProxyChannel: ServerChildChannel {
    /// A connection, and what it becomes once its first head has been read: the channel is
    /// registered (and read) only after `setup` returns, so the decision is awaited in `handle`.
    struct Value: ServerChildChannelValue {
        let channel: any Channel
        let decided: EventLoopFuture<Outcome>
    }

    enum Outcome: Sendable {
        case http(HTTP1Channel, NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// A tunnel, or a connection already answered: it lives until it closes.
        case relayed
    }

    let responder: HTTPChannelHandler.Responder
    let policy: any ForwardProxyPolicy
    let limits: ServerLimits
    let ceiling: ConnectionCeiling
    /// Seconds without a byte either way before a tunnel is closed.
    let tunnelIdleTimeout: TimeAmount
    let connectTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let loop = channel.eventLoop
        guard ceiling.tryAcquire() else {
            channel.writeAndFlush(ProxyAnswer.bytes(status: "503 Service Unavailable", reason: "too many connections"))
                .whenComplete { _ in channel.close(promise: nil) }
            return loop.makeSucceededFuture(Value(channel: channel, decided: loop.makeSucceededFuture(.relayed)))
        }
        channel.closeFuture.whenComplete { [ceiling] _ in ceiling.release() }
        let arrived = loop.makePromise(of: ProxyRequestHead.self)
        do {
            try channel.pipeline.syncOperations.addHandler(
                ProxyHeadReader(timeout: limits.headerTimeout, arrived: arrived))
        } catch {
            arrived.fail(error)
            return loop.makeFailedFuture(error)
        }
        let decided = arrived.futureResult.flatMap { head -> EventLoopFuture<Outcome> in
            switch head {
            case .request:
                return serve(channel, target: nil, tls: nil, logger: logger)
            case .connect(let target):
                return loop.makeFutureWithTask { await policy.route(target) }.flatMap { route in
                    switch route {
                    case .serve(let tls):
                        return serve(channel, target: target, tls: tls, logger: logger)
                    case .tunnel(let address):
                        return tunnel(channel, to: address, logger: logger)
                    case .refuse(let status, let reason):
                        return answer(channel, status: "\(status.code) \(status.reasonPhrase)", reason: reason)
                    }
                }
            }
        }.flatMapErrorThrowing { error in
            channel.close(promise: nil)
            throw error
        }
        return loop.makeSucceededFuture(Value(channel: channel, decided: decided))
    }

    func handle(value: Value, logger: Logger) async {
        switch try? await value.decided.get() {
        case .http(let http, let asyncChannel):
            await http.handle(value: asyncChannel, logger: logger)
        case .relayed:
            try? await value.channel.closeFuture.get()
        case nil:
            return
        }
    }

    /// HTTP on the connection (under TLS for a `CONNECT`), each request rewritten for `target`,
    /// or for a plain request, for its `Host`.
    private func serve(
        _ channel: any Channel, target: ProxyTarget?, tls: NIOSSLContext?, logger: Logger
    ) -> EventLoopFuture<Outcome> {
        let http = HTTP1Channel(responder: proxied(target: target), configuration: httpConfiguration)
        return channel.eventLoop.makeCompletedFuture { () -> [UInt8] in
            let pipeline = channel.pipeline.syncOperations
            var (bytes, headLength) = try pipeline.handler(type: ProxyHeadReader.self).takeBytes()
            if let tls {
                // The CONNECT head is ours; what follows it is the client's TLS handshake.
                bytes.removeFirst(min(bytes.count, headLength))
                channel.writeAndFlush(ProxyAnswer.established, promise: nil)
                try pipeline.addHandler(NIOSSLServerHandler(context: tls))
            }
            _ = try pipeline.removeHandler(pipeline.handler(type: ProxyHeadReader.self))
            return bytes
        }.flatMap { bytes in
            http.setup(channel: channel, logger: logger).map { asyncChannel in
                if !bytes.isEmpty { channel.pipeline.fireChannelRead(ByteBuffer(bytes: bytes)) }
                return Outcome.http(http, asyncChannel)
            }
        }
    }

    private func proxied(target connected: ProxyTarget?) -> HTTPChannelHandler.Responder {
        { [responder, policy] request, writer, channel in
            let target =
                connected ?? request.head.authority.flatMap { ProxyTarget(authority: $0.utf8, defaultPort: 80) }
            guard let target, let rewritten = policy.rewrite(request, for: target) else {
                let body =
                    #"{"errors":[{"code":"DENIED","message":"this proxy serves only the registries "#
                    + #"the satellite mirrors; other hosts are reached by CONNECT when allowed"}]}"#
                try await writer.write(
                    response: HTTPResponse(
                        status: .forbidden,
                        headerFields: [.contentType: "application/json", .contentLength: "\(body.utf8.count)"]),
                    body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
                return
            }
            try await responder(rewritten, writer, channel)
        }
    }

    private var httpConfiguration: HTTP1Channel.Configuration {
        HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                RequestHeadTimeoutHandler(timeout: limits.headerTimeout, betweenRequests: limits.idleTimeout),
                EarlyResponseCloseHandler(linger: limits.lingerTimeout),
            ],
            idleTimeout: limits.idleTimeout)
    }

    /// Connects to `address` and relays bytes both ways; 502 when it cannot be reached.
    private func tunnel(_ channel: any Channel, to address: SocketAddress, logger: Logger) -> EventLoopFuture<Outcome> {
        let loop = channel.eventLoop
        let idle = tunnelIdleTimeout
        return ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(to: address)
            .flatMap { upstream in
                loop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    var (bytes, headLength) = try pipeline.handler(type: ProxyHeadReader.self).takeBytes()
                    bytes.removeFirst(min(bytes.count, headLength))
                    _ = try pipeline.removeHandler(pipeline.handler(type: ProxyHeadReader.self))
                    let (client, server) = TunnelRelay.pair()
                    try pipeline.addHandlers([IdleStateHandler(allTimeout: idle), client])
                    try upstream.pipeline.syncOperations.addHandlers([IdleStateHandler(allTimeout: idle), server])
                    channel.writeAndFlush(ProxyAnswer.established, promise: nil)
                    if !bytes.isEmpty { upstream.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil) }
                    policy.tunnel(opened: true)
                    channel.closeFuture.whenComplete { [policy] _ in
                        upstream.close(promise: nil)
                        policy.tunnel(opened: false)
                    }
                    upstream.closeFuture.whenComplete { _ in channel.close(promise: nil) }
                    return .relayed
                }.flatMapErrorThrowing { error in
                    upstream.close(promise: nil)
                    throw error
                }
            }
            .flatMapError { error in
                logger.debug("tunnel not opened", metadata: ["to": "\(address)", "error": "\(error)"])
                return answer(channel, status: "502 Bad Gateway", reason: "cannot reach \(address)")
            }
    }

    private func answer(_ channel: any Channel, status: String, reason: String) -> EventLoopFuture<Outcome> {
        channel.writeAndFlush(ProxyAnswer.bytes(status: status, reason: reason)).whenComplete { _ in
            channel.close(promise: nil)
        }
        return channel.eventLoop.makeSucceededFuture(.relayed)
    }
}

extension HTTPServerBuilder {
    /// An HTTP forward proxy (see `ForwardProxyChannel`) whose served requests go to the
    /// application's responder.
    public static func forwardProxy(
        policy: any ForwardProxyPolicy, limits: ServerLimits, tunnelIdleTimeout: TimeAmount = .minutes(5),
        connectTimeout: TimeAmount = .seconds(10)
    ) -> HTTPServerBuilder {
        let ceiling = ConnectionCeiling(maximum: limits.maximumConnections)
        return HTTPServerBuilder { responder in
            ForwardProxyChannel(
                responder: responder, policy: policy, limits: limits, ceiling: ceiling,
                tunnelIdleTimeout: tunnelIdleTimeout, connectTimeout: connectTimeout)
        }
    }
}
