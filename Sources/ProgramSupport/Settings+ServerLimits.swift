import ArgumentParser
import HTTPServerSupport
import NIOCore

/// The connection-limit flags every serving command takes.
public struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .customLong("header-timeout"), help: "Seconds a client may take to send a request's headers (default 30)."
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
}

extension Settings {
    /// Connection limits from flags, environment and file; the file limit is raised to its hard
    /// maximum first, so the default ceiling uses all the process may have.
    public func serverLimits(_ flags: ConnectionOptions, descriptorsPerConnection: Int) throws -> ServerLimits {
        ServerLimits.raiseFileLimit()
        var limits = ServerLimits(descriptorsPerConnection: descriptorsPerConnection)
        let header = try seconds("header-timeout", flag: flags.headerTimeout, default: 30)
        let idle = try seconds("idle-timeout", flag: flags.idleTimeout, default: 60)
        guard header > 0, idle > 0 else {
            throw SettingsError("header-timeout and idle-timeout must be more than 0 seconds")
        }
        limits.headerTimeout = .milliseconds(Int64(header * 1000))
        limits.idleTimeout = .milliseconds(Int64(idle * 1000))
        if let raw = string("max-connections", flag: flags.maxConnections) {
            guard let maximum = Int(raw), maximum > 0 else {
                throw SettingsError("max-connections must be a whole number above 0, not '\(raw)'")
            }
            limits.maximumConnections = maximum
        }
        return limits
    }
}
