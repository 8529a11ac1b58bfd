import NIOCore

/// The first handler of a proxy connection: holds its bytes until the first request head has
/// arrived, so that the connection can become a tunnel, a TLS endpoint or an HTTP server before
/// anything reads them. A head that does not arrive within `timeout`, is too large, or is not
/// HTTP/1 is answered (408, 431, 400) and the connection closed.
final class ProxyHeadReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let timeout: TimeAmount
    private let arrived: EventLoopPromise<ProxyRequestHead>
    private var bytes: [UInt8] = []
    private var decided = false
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount, arrived: EventLoopPromise<ProxyRequestHead>) {
        self.timeout = timeout
        self.arrived = arrived
    }

    /// The length of the first head, once it has arrived.
    private var headLength = 0

    /// Everything read so far, from the head's first byte, and the head's length; the reader is
    /// then removed.
    func takeBytes() -> (bytes: [UInt8], headLength: Int) {
        defer { bytes = [] }
        return (bytes, headLength)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            self?.refuse(channel, status: "408 Request Timeout", reason: "the request head took too long")
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.append(contentsOf: buffer.readableBytesView)
        guard !decided else { return }
        do throws(ProxyRequestHead.Refusal) {
            guard let (head, length) = try ProxyRequestHead.parse(bytes) else { return }
            headLength = length
            decided = true
            timer?.cancel()
            arrived.succeed(head)
        } catch {
            switch error {
            case .tooLarge:
                refuse(
                    context.channel, status: "431 Request Header Fields Too Large",
                    reason: "the request head is too large")
            case .malformed(let reason):
                refuse(context.channel, status: "400 Bad Request", reason: reason)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server is stopping, or the client stopped sending before saying where it goes.
        if event is ChannelShouldQuiesceEvent || event as? ChannelEvent == .inputClosed, !decided {
            fail(ChannelError.eof)
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    /// Answers, then closes; the promise fails only once the answer is written, so nothing
    /// closes the connection before the client has read why.
    private func refuse(_ channel: any Channel, status: String, reason: String) {
        guard !decided else { return }
        decided = true
        timer?.cancel()
        let arrived = self.arrived
        channel.writeAndFlush(ProxyAnswer.bytes(status: status, reason: reason)).whenComplete { _ in
            channel.close(promise: nil)
            arrived.fail(ChannelError.eof)
        }
    }

    private func fail(_ error: any Error) {
        guard !decided else { return }
        decided = true
        timer?.cancel()
        arrived.fail(error)
    }
}

/// A proxy's own answer, written before any HTTP server is on the connection.
enum ProxyAnswer {
    static func bytes(status: String, reason: String) -> ByteBuffer {
        let body = reason + "\n"
        let text =
            "HTTP/1.1 \(status)\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        return ByteBuffer(string: text)
    }

    static let established = ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")
}
