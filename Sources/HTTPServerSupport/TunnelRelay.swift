import NIOCore

/// One end of a tunnel: what its channel reads is written to the partner's channel, untouched.
/// A partner that cannot take more stops this side reading (so a fast sender meets a slow
/// receiver's pace, not the proxy's memory); either side closing, an error, the server stopping,
/// or `idleTimeout` without a byte either way closes both.
final class TunnelRelay: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: TunnelRelay?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var inputClosed = false

    /// Two relays that forward to each other; add one to each channel (both on one event loop).
    static func pair() -> (TunnelRelay, TunnelRelay) {
        let first = TunnelRelay()
        let second = TunnelRelay()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.forward(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.flushForwarded()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.closeSide()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // This side drained: the partner may read again if it was asked to.
        if context.channel.isWritable { partner?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent || event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        // This side sent its last byte: the partner's side is told by a half close, and once
        // both sides are done the tunnel closes.
        if event as? ChannelEvent == .inputClosed {
            inputClosed = true
            if partner?.inputClosed ?? true {
                context.close(promise: nil)
            } else {
                partner?.closeOutput()
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        // Reading waits while the partner's channel is full.
        if let partner, let partnerContext = partner.context, !partnerContext.channel.isWritable {
            pendingRead = true
            return
        }
        context.read()
    }

    private func forward(_ data: NIOAny) {
        context?.write(data, promise: nil)
    }

    private func flushForwarded() {
        context?.flush()
    }

    private func resumeReading() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    private func closeSide() {
        context?.close(promise: nil)
    }

    private func closeOutput() {
        guard let context else { return }
        let channel = context.channel
        context.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
    }
}
