import Synchronization

/// The authority a server's clients must chain to (it may change: a renewed bundle, SPIRE's
/// rotations) and the chains found in handshakes, by the leaf's DER, so that a connection's
/// requests read their chain here rather than checking signatures and parsing names again.
/// Ground Control keeps one for satellites; a satellite one for its site's peers.
public final class TrustedChains: Sendable {
    private let trust = Mutex<CertificateTrust?>(nil)
    private let chains = Mutex<[[UInt8]: TrustedChain]>([:])
    /// Cleared whole when full.
    static let kept = 200_000

    public init() {}

    /// Trusts `value` from now on (nil: nothing), forgetting chains found under the one before.
    public func set(_ value: CertificateTrust?) {
        trust.withLock { $0 = value }
        chains.withLock { $0.removeAll() }
    }

    public var current: CertificateTrust? { trust.withLock { $0 } }

    /// Whether `der` (leaf first, as TLS hands a chain over) leads to the authority.
    public func leads(_ der: [[UInt8]]) -> Bool {
        (try? chain(der.first ?? [], der: { der })) != nil
    }

    /// The trusted chain whose leaf is `leaf`, from those found before or worked out from `der`.
    public func chain(_ leaf: [UInt8], der: () -> [[UInt8]]) throws(IdentityError) -> TrustedChain {
        if let known = chains.withLock({ $0[leaf] }) { return known }
        guard let trust = trust.withLock({ $0 }) else {
            throw IdentityError(.untrusted, "no authority is trusted yet")
        }
        let chain = try TrustedChain(path: try trust.path(der: der()))
        chains.withLock { chains in
            if chains.count >= Self.kept { chains.removeAll() }
            chains[leaf] = chain
        }
        return chain
    }
}
