/// A failure talking to a remote registry.
public struct ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The registry refused our credentials (or we had none it accepts).
        case unauthorized
        /// The registry accepted who we are and denies us this content (403).
        case forbidden
        /// The manifest, blob or repository does not exist upstream.
        case notFound
        /// The connection failed or dropped; worth retrying later.
        case network
        /// The registry answered with a status we cannot use.
        case unexpectedStatus(Int)
        /// Content did not match its digest: never stored.
        case digestMismatch
        /// The registry's reply broke the protocol (bad header, bad JSON).
        case invalidResponse
        /// A manifest or listing over the size we accept.
        case tooLarge
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether trying again later may succeed.
    public var isTransient: Bool {
        switch code {
        case .network: true
        case .unexpectedStatus(let status): status == 429 || status >= 500
        default: false
        }
    }

    public var description: String { message }
}
