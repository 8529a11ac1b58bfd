import Foundation

/// Why an artifact of the desired state is not held at the digest asked for.
///
/// A string with named values rather than a closed enum, so a Ground Control older than the
/// satellite still decodes a reason it has not heard of.
public struct FailureReason: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The tag, manifest or blob does not exist upstream.
    public static let notFound = FailureReason(rawValue: "notFound")
    /// The upstream wants credentials, or refused the ones it was given (401).
    public static let unauthorized = FailureReason(rawValue: "unauthorized")
    /// The upstream knows the credentials and denies this repository (403).
    public static let forbidden = FailureReason(rawValue: "forbidden")
    /// Bytes arrived that do not hash to the digest they were asked for.
    public static let digestMismatch = FailureReason(rawValue: "digestMismatch")
    /// A manifest over 4 MiB, or a blob larger than its descriptor says.
    public static let tooLarge = FailureReason(rawValue: "tooLarge")
    /// A manifest or reply that is not valid (unparseable, wrong type, missing parts).
    public static let invalidContent = FailureReason(rawValue: "invalidContent")
    /// The upstream could not be reached, or the connection kept failing.
    public static let unreachable = FailureReason(rawValue: "unreachable")
    /// The upstream answered with a server error or asked us to slow down.
    public static let upstreamError = FailureReason(rawValue: "upstreamError")
    /// The satellite's disk is full.
    public static let diskFull = FailureReason(rawValue: "diskFull")
    /// The satellite's store failed for another reason (I/O).
    public static let storeError = FailureReason(rawValue: "storeError")
    /// The signature policy refuses it: unsigned where a signature is required, signed for
    /// another digest, or by no trusted key.
    public static let signature = FailureReason(rawValue: "signature")
    /// Its sync waits for a sync window: upstreams are not used outside them.
    public static let outsideSyncWindow = FailureReason(rawValue: "outsideSyncWindow")
    /// Fetching it would overrun the satellite's upstream budget.
    public static let budgetExhausted = FailureReason(rawValue: "budgetExhausted")
    /// The desired state cannot be followed as written (unknown upstream, unreadable password file).
    public static let configuration = FailureReason(rawValue: "configuration")

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

/// One artifact a sync could not bring in line, as the heartbeat reports it.
public struct ArtifactFailure: Codable, Sendable, Equatable {
    /// The artifact as the state names it: `repository:tag` or `repository@digest`.
    public var reference: String
    public var reason: FailureReason
    /// What went wrong, for people.
    public var message: String
    /// The digest still served for it, if the store holds an older one.
    public var serving: String?
    /// The upstream the state names for it: two upstreams may hold the same reference.
    public var upstream: String?

    public init(
        reference: String, reason: FailureReason, message: String, serving: String? = nil, upstream: String? = nil
    ) {
        self.reference = reference
        self.reason = reason
        self.message = message
        self.serving = serving
        self.upstream = upstream
    }
}
