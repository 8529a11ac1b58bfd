/// How often Ground Control asks satellites to call, beyond their heartbeat interval: what lets
/// one process keep tens of thousands of idle satellites for almost nothing (`ground-control
/// serve --quiet-heartbeat-seconds`, `--poll-wait-seconds`).
public struct SatelliteCadence: Sendable, Equatable {
    /// How long a satellite whose status has not changed, and whose long-poll is held, may go
    /// between heartbeats (never less than its heartbeat interval).
    public var quietHeartbeatSeconds: Int
    /// The `?wait=` long-polls are asked to use.
    public var pollWaitSeconds: Int

    public init(quietHeartbeatSeconds: Int = 300, pollWaitSeconds: Int = 60) {
        self.quietHeartbeatSeconds = quietHeartbeatSeconds
        self.pollWaitSeconds = pollWaitSeconds
    }

    /// What a heartbeat reply tells a satellite whose heartbeat interval is `heartbeatSeconds`.
    func quietInterval(heartbeatSeconds: Int) -> Int { max(quietHeartbeatSeconds, heartbeatSeconds) }
}
