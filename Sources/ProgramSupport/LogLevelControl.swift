import Logging
import Synchronization

/// A log level that can change while the program runs: every logger made by `logger(label:)`
/// follows it, including the copies handed to services at start. Ground Control sets a managed
/// satellite's level this way.
public final class LogLevelControl: Sendable {
    private let level: Mutex<Logger.Level>

    public init(_ level: Logger.Level) {
        self.level = Mutex(level)
    }

    public var current: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }

    /// A logger writing to standard error at this control's level.
    public func logger(label: String) -> Logger {
        Logger(label: label) { label in
            var base = StreamLogHandler.standardError(label: label)
            base.logLevel = .trace
            return FollowingLogHandler(base: base, control: self)
        }
    }
}

/// Filters by the control's level and leaves the writing to `base`.
private struct FollowingLogHandler: LogHandler {
    var base: StreamLogHandler
    let control: LogLevelControl

    var logLevel: Logger.Level {
        get { control.current }
        set { control.current = newValue }
    }

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        base.log(event: event)
    }
}
