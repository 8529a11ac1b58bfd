/// How often and how long to wait before retrying a request: exponential backoff with jitter.
public struct RetryPolicy: Sendable {
    /// Attempts per request, the first included.
    public var attempts: Int
    public var initialDelay: Duration
    public var maximumDelay: Duration

    public init(attempts: Int = 5, initialDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(30)) {
        self.attempts = attempts
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The wait before retry number `retry` (1 for the first retry), honouring a server's
    /// `Retry-After` seconds when it gave one.
    public func delay(beforeRetry retry: Int, retryAfter: Duration? = nil) -> Duration {
        if let retryAfter { return min(retryAfter, maximumDelay) }
        let exponent = min(retry - 1, 20)
        let ceiling = min(initialDelay * (1 << exponent), maximumDelay)
        // Jitter between half and all of the ceiling, so a fleet does not retry in step.
        let fraction = Double.random(in: 0.5...1.0)
        return ceiling * fraction
    }
}
