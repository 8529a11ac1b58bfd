import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the connection's channel, so that blob bodies can be
/// streamed from the connection's own event loop (see `BlobSender`).
public struct RegistryRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
