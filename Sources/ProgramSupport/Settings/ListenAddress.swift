/// A `host:port` to listen on.
public struct ListenAddress: Sendable {
    public let host: String
    public let port: Int

    /// - Parameter field: the setting it comes from, for the error.
    public init(_ raw: String, field: String = "listen") throws {
        guard let colon = raw.lastIndex(of: ":"), let port = Int(raw[raw.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw SettingsError("\(field) must be host:port, not '\(raw.prefix(200))'")
        }
        var host = String(raw[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }
}
