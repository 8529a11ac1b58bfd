import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The number of connections a server holds, shared by all of its event loops.
final class ConnectionCeiling: Sendable {
    let maximum: Int
    private let open = Atomic<Int>(0)

    init(maximum: Int) {
        self.maximum = maximum
    }

    func tryAcquire() -> Bool {
        var current = open.load(ordering: .relaxed)
        while current < maximum {
            let (exchanged, original) = open.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release() {
        open.subtract(1, ordering: .acquiringAndReleasing)
    }

    var count: Int { open.load(ordering: .relaxed) }
}

/// Answers a connection beyond the ceiling with 503 and closes it at once, so the ones in flight
/// keep their file descriptors and the server never spins on a full file table.
final class ConnectionCeilingHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let ceiling: ConnectionCeiling
    private enum State { case new, admitted, refused, released }
    private var state = State.new

    init(ceiling: ConnectionCeiling) {
        self.ceiling = ceiling
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard state == .new else { return }
        if ceiling.tryAcquire() {
            state = .admitted
            return
        }
        state = .refused
        let head = HTTPResponse(
            status: .serviceUnavailable, headerFields: [.connection: "close", .contentLength: "0", .retryAfter: "1"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused connection's request is not served.
        guard state != .refused else { return }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    private func release() {
        if state == .admitted { ceiling.release() }
        state = .released
    }
}
