import OCI
import RegistryClient
import SatelliteProtocol

/// A failure of one artifact's sync, with the reason the report and the heartbeat carry.
public struct ReplicationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: FailureReason
    public let message: String

    public init(_ reason: FailureReason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// Classifies whatever a source, the store or a parser threw.
    public init(_ error: any Error) {
        switch error {
        case let error as ReplicationError:
            self = error
        case let error as ClientError:
            self.init(Self.reason(of: error.code), error.message)
        case let error as any ReplicationFailure:
            self = error.replicationError
        case let error as SinkError:
            self.init(error.underlying)
        case let error as OCIError:
            self.init(.invalidContent, "\(error)")
        default:
            self.init(.unreachable, "\(error)")
        }
    }

    public var description: String { message }

    private static func reason(of code: ClientError.Code) -> FailureReason {
        switch code {
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .network: .unreachable
        case .unexpectedStatus: .upstreamError
        case .digestMismatch: .digestMismatch
        case .invalidResponse: .invalidContent
        case .tooLarge: .tooLarge
        }
    }
}

/// An error of a layer below a sync (the satellite's store) that knows which failure it is. The
/// layer that owns the error declares the conformance, so planning needs no store of its own.
public protocol ReplicationFailure: Error {
    var replicationError: ReplicationError { get }
}
