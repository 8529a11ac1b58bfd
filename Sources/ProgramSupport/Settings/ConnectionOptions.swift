import ArgumentParser
import HTTPServerSupport
import NIOCore

/// The connection-limit flags every serving command takes.
public struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .customLong("header-timeout"),
        help:
            "Seconds a connection may take to send its first request's headers (default 30; later: --idle-timeout)."
    )
    public var headerTimeout: String?

    @Option(
        name: .customLong("idle-timeout"),
        help: "Seconds a connection may send nothing between or within requests (default 60).")
    public var idleTimeout: String?

    @Option(
        name: .customLong("max-connections"),
        help: "Connections served at once; more get 503 at once (default: below the open-file limit).")
    public var maxConnections: String?

    public init() {}

    /// These flags as settings.
    public func flags(into flags: inout FlagValues) {
        flags.set("header-timeout", headerTimeout)
        flags.set("idle-timeout", idleTimeout)
        flags.set("max-connections", maxConnections)
    }
}

extension SettingSources {
    /// Connection limits; the file limit is raised to its hard maximum first, so the default
    /// ceiling uses all the process may have.
    public func serverLimits(descriptorsPerConnection: Int) throws -> ServerLimits {
        ServerLimits.raiseFileLimit()
        var limits = ServerLimits(descriptorsPerConnection: descriptorsPerConnection)
        let header = try seconds("header-timeout", default: 30)
        let idle = try seconds("idle-timeout", default: 60)
        guard header > .zero, idle > .zero else {
            throw SettingsError("header-timeout and idle-timeout must be more than 0 seconds")
        }
        limits.headerTimeout = TimeAmount(header)
        limits.idleTimeout = TimeAmount(idle)
        if let maximum = try wholeNumber("max-connections", in: 1...Int.max) {
            limits.maximumConnections = maximum
        }
        return limits
    }
}
