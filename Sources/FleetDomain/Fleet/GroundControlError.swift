import SatelliteProtocol

/// Every refusal Ground Control gives: a stable code, the HTTP status it maps to, and a message
/// naming the problem. The HTTP layer renders it once, as `{"code", "message"}`.
public struct GroundControlError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Equatable, CustomStringConvertible {
        public let name: String
        public let status: Int

        /// A code the HTTP layer makes for a refusal of its own (a bad request line, say).
        package init(name: String, status: Int) {
            self.name = name
            self.status = status
        }

        public static let invalidBody = Code(name: "BODY_INVALID", status: 400)
        public static let invalidName = Code(name: "NAME_INVALID", status: 400)
        public static let invalidField = Code(name: "FIELD_INVALID", status: 400)
        public static let bodyTooLarge = Code(name: "BODY_TOO_LARGE", status: 413)
        public static let unauthorized = Code(name: "UNAUTHORIZED", status: 401)
        public static let tokenInvalid = Code(name: "TOKEN_INVALID", status: 401)
        /// The client certificate's chain or validity, not the satellite: the trust may not have
        /// reached this Ground Control yet, so the satellite tries again rather than stopping.
        public static let certificateRefused = Code(name: CertificateRefusal.code, status: 401)
        public static let tokenExpired = Code(name: "TOKEN_EXPIRED", status: 401)
        public static let forbidden = Code(name: "FORBIDDEN", status: 403)
        public static let csrfRejected = Code(name: "CSRF_TOKEN_INVALID", status: 403)
        public static let tooManyAttempts = Code(name: "TOO_MANY_ATTEMPTS", status: 429)
        public static let registryUnknown = Code(name: "REGISTRY_UNKNOWN", status: 404)
        public static let groupUnknown = Code(name: "GROUP_UNKNOWN", status: 404)
        public static let satelliteUnknown = Code(name: "SATELLITE_UNKNOWN", status: 404)
        public static let rolloutUnknown = Code(name: "ROLLOUT_UNKNOWN", status: 404)
        /// An action only an open rollout takes (promote, pause, abort), on one that ended.
        public static let rolloutFinished = Code(name: "ROLLOUT_FINISHED", status: 400)
        public static let notFound = Code(name: "NOT_FOUND", status: 404)
        public static let methodNotAllowed = Code(name: "METHOD_NOT_ALLOWED", status: 405)
        public static let duplicate = Code(name: "DUPLICATE", status: 409)
        public static let inUse = Code(name: "IN_USE", status: 409)
        public static let revoked = Code(name: "SATELLITE_REVOKED", status: 403)
        public static let approvalRequired = Code(name: "APPROVAL_REQUIRED", status: 403)
        public static let changed = Code(name: "CHANGED", status: 412)
        /// A quiet heartbeat naming a status Ground Control does not hold: send it in full.
        public static let statusChanged = Code(name: QuietHeartbeat.changedCode, status: 412)
        public static let bundleBaseUnknown = Code(name: "BUNDLE_BASE_UNKNOWN", status: 409)
        public static let upstreamFailed = Code(name: "UPSTREAM_FAILED", status: 502)
        public static let unavailable = Code(name: "UNAVAILABLE", status: 503)
        public static let internalError = Code(name: "INTERNAL", status: 500)

        public var description: String { name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }

    package var body: APIErrorBody { APIErrorBody(code: code.name, message: message) }
}
