import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// A response sent before its request's body was read (413, 400, 401 …) ends the connection:
/// its head says `Connection: close`, and once it is written the connection is closed as soon as
/// the rest of the body has arrived, or after `linger` at most. Without this, such connections
/// were left half-closed and held their file descriptors for as long as the client kept them.
final class EarlyResponseCloseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let linger: TimeAmount
    /// Requests whose head has arrived, and responses begun; a pipelining client may be ahead.
    private var requestsReceived = 0
    private var responsesStarted = 0
    /// Whether the last request received has ended (its body read in full).
    private var lastRequestEnded = true
    /// The response in progress was begun while its request's body was still coming.
    private var closing = false
    private var responseEnded = false
    private var lingering: Scheduled<Void>?

    init(linger: TimeAmount) {
        self.linger = linger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requestsReceived += 1
            lastRequestEnded = false
        case .body:
            break
        case .end:
            lastRequestEnded = true
            if closing, responseEnded {
                context.fireChannelRead(data)
                close(context)
                return
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            responsesStarted += 1
            // Responses go in request order: this one answers the last request received only
            // when no later request has arrived, and that request may still be sending its body.
            if responsesStarted == requestsReceived, !lastRequestEnded {
                closing = true
                head.headerFields[.connection] = "close"
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where closing:
            responseEnded = true
            let written = context.eventLoop.makePromise(of: Void.self)
            if let promise { written.futureResult.cascade(to: promise) }
            context.writeAndFlush(data, promise: written)
            written.futureResult.assumeIsolated().whenComplete { [self] _ in
                if lastRequestEnded {
                    close(context)
                } else {
                    lingering = context.eventLoop.assumeIsolated().scheduleTask(in: linger) { [self] in close(context) }
                }
            }
        default:
            context.write(data, promise: promise)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        lingering?.cancel()
    }

    private func close(_ context: ChannelHandlerContext) {
        lingering?.cancel()
        lingering = nil
        context.close(promise: nil)
    }
}
