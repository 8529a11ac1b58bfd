import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 connection to Ground Control driven on its event loop, one request at a time,
/// with no task per request: at a hundred thousand simulated satellites the simulator's own
/// cost per request decides whether the machine measures Ground Control or the simulator.
///
/// Touched only on `loop`: the simulator's satellites live on one event loop each.
final class WireConnection: @unchecked Sendable {
    /// What a reply carried that a satellite acts on.
    struct Reply {
        var status: Int
        var etag: String?
        /// The body, when the request asked for it.
        var body: ByteBuffer?
    }

    private let loop: any EventLoop
    /// The open connection and the handler reading its replies (a new one per connection, so
    /// a late close of the last cannot fail a request on the next).
    private var channel: (any Channel, ReplyHandler)?
    private var connecting: EventLoopFuture<(any Channel, ReplyHandler)>?

    init(loop: any EventLoop) {
        self.loop = loop
    }

    var isOpen: Bool { channel?.0.isActive ?? false }

    /// Sends `head` (and `body`) once connected, and completes with the reply.
    func send(
        _ head: HTTPRequestHead, body: ByteBuffer?, keepBody: Bool, to address: SocketAddress
    ) -> EventLoopFuture<Reply> {
        loop.preconditionInEventLoop()
        return connected(to: address).flatMap { channel, handler in
            let promise = self.loop.makePromise(of: Reply.self)
            handler.expect(promise, keepBody: keepBody)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            return promise.futureResult
        }
    }

    func close() {
        channel?.0.close(promise: nil)
        channel = nil
    }

    private func connected(to address: SocketAddress) -> EventLoopFuture<(any Channel, ReplyHandler)> {
        if let channel, channel.0.isActive { return loop.makeSucceededFuture(channel) }
        if let connecting { return connecting }
        let handler = ReplyHandler()
        let future = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(30))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(to: address)
            .map { ($0, handler) }
        connecting = future
        future.whenComplete { result in
            self.connecting = nil
            if case .success(let channel) = result { self.channel = channel }
        }
        return future
    }
}

/// Collects one response at a time for `WireConnection`; a closed connection fails the one awaited.
private final class ReplyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private var awaited: EventLoopPromise<WireConnection.Reply>?
    private var keepBody = false
    private var reply: WireConnection.Reply?

    func expect(_ promise: EventLoopPromise<WireConnection.Reply>, keepBody: Bool) {
        awaited = promise
        self.keepBody = keepBody
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            reply = WireConnection.Reply(status: Int(head.status.code), etag: head.headers.first(name: "etag"))
        case .body(var part):
            guard keepBody else { return }
            if reply?.body == nil { reply?.body = part } else { reply?.body?.writeBuffer(&part) }
        case .end:
            guard let done = reply, let promise = awaited else { return }
            reply = nil
            awaited = nil
            promise.succeed(done)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        reply = nil
        awaited.take()?.fail(error)
    }
}

extension Optional {
    /// The value, leaving nil behind.
    fileprivate mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}
