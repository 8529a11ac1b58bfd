import NIOCore
import NIOHTTPTypes

/// Closes a connection whose first request head has not arrived in full within `timeout` of its
/// start, or whose next head has not within `betweenRequests` of the end of its previous
/// response: a client that sends its headers a byte at a time holds nothing for long, and a
/// kept-alive connection may wait as long as the idle timeout lets it (a satellite heartbeating
/// every 30 s keeps its connection, and its TLS session, rather than racing a 30 s cut).
///
/// One timer per connection at most, re-armed from a timestamp when it fires: a keep-alive
/// connection answering thousands of requests a second sets a deadline per request, not a timer.
final class RequestHeadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private let betweenRequests: TimeAmount
    /// The allowance of the head being waited for: `timeout` for the first, then `betweenRequests`.
    private var allowance: TimeAmount
    private var timer: Scheduled<Void>?
    /// When the connection began to wait for a head; nil while a request is being served.
    private var waitingSince: NIODeadline?
    /// Requests received and not yet answered in full (a pipelining client may send several).
    private var unanswered = 0

    init(timeout: TimeAmount, betweenRequests: TimeAmount) {
        self.timeout = timeout
        self.betweenRequests = max(timeout, betweenRequests)
        allowance = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { wait(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        wait(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            waitingSince = nil
            unanswered += 1
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered -= 1
            if unanswered == 0 {
                allowance = betweenRequests
                wait(context)
            }
        }
        context.write(data, promise: promise)
    }

    private func wait(_ context: ChannelHandlerContext) {
        waitingSince = .now()
        if timer == nil { arm(context, at: .now() + allowance) }
    }

    private func arm(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.timer = nil
            guard let since = self.waitingSince else { return }
            if NIODeadline.now() >= since + self.allowance {
                context.close(promise: nil)
            } else {
                self.arm(context, at: since + self.allowance)
            }
        }
    }
}
