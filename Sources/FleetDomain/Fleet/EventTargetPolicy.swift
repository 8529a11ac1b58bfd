import Foundation
import NetworkAddresses

/// Where Ground Control may send events: a subscription's URL is a request this server makes,
/// so it must not reach what only this machine can (loopback, link-local, the server's own
/// addresses) unless an admin started the server allowing that host by name
/// (`--event-allow-host`). Checked when a subscription is put and again before every delivery,
/// since a name may resolve elsewhere later.
public struct EventTargetPolicy: Sendable {
    /// Hosts (names or address literals, lower case) an admin allowed whatever they resolve to.
    public let allowedHosts: Set<String>

    public init(allowedHosts: [String] = []) {
        self.allowedHosts = Set(allowedHosts.map { Self.bare($0.lowercased()) })
    }

    /// The URL's form: http or https, a host, no user-info (it would be shown to every viewer
    /// and written in the audit log), at most 2,000 bytes.
    package static func validatedURL(_ raw: String) throws(GroundControlError) -> URL {
        guard raw.utf8.count <= 2000, let url = URL(string: raw),
            ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            let host = url.host, !host.isEmpty
        else {
            throw GroundControlError(.invalidField, "url: must be an http:// or https:// URL")
        }
        guard url.user == nil && url.password == nil else {
            throw GroundControlError(
                .invalidField,
                """
                url: may not carry a user name or password (every viewer sees the URL); the secret signs each \
                delivery instead
                """
            )
        }
        return url
    }

    /// Refuses a URL whose host is, or resolves to, an address this policy keeps events from.
    /// A name that does not resolve now passes: its delivery fails, and is retried, until it does.
    package func check(_ url: URL) async throws(GroundControlError) {
        guard let rawHost = url.host?.lowercased() else { throw GroundControlError(.invalidField, "url: has no host") }
        let host = Self.bare(rawHost)
        if allowedHosts.contains(host) { return }
        let addresses = await NetworkAddress.resolve(host)
        let own = NetworkAddress.ownAddresses()
        for address in addresses {
            if let reason = NetworkAddress.forbidden(address, own: own) {
                throw GroundControlError(
                    .invalidField,
                    """
                    url: \(host) is \(address == host ? "" : "at \(address), ")\(reason); events go there only if \
                    the server is started with --event-allow-host \(host)
                    """
                )
            }
        }
    }

    /// `[::1]` as URL hosts may write it, without the brackets.
    private static func bare(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }
}
