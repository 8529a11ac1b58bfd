import Foundation
import OCI

extension DesiredState {
    /// Another satellite at the same site.
    public struct Peer: Codable, Sendable, Equatable, Hashable {
        /// Where it serves its registry: `http(s)://host:port`, as it advertises itself.
        public var url: String

        public init(url: String) {
            self.url = url
        }
    }

    /// The site a satellite belongs to. Its satellites present `credential` to each other and
    /// serve content only to requests that carry it.
    public struct Site: Codable, Sendable, Equatable, CustomStringConvertible {
        public var name: String
        /// Never logged; see `description`.
        public var credential: String?
        /// A file holding the credential, read when the state is applied.
        public var credentialFile: String?
        /// The credential before the last rotation: still accepted, and presented to a peer that
        /// refuses the new one, so that satellites reached by the new state at different moments
        /// keep fetching from each other.
        public var previousCredential: String?
        /// The SPIFFE IDs of the site's other satellites, advertising or not: a peer presenting a
        /// certificate that names one of them, from the authority this satellite trusts, is
        /// admitted without the credential. Ground Control lists them; state files need not.
        public var memberIDs: [String]?

        public init(
            name: String, credential: String? = nil, credentialFile: String? = nil, previousCredential: String? = nil
        ) {
            self.name = name
            self.credential = credential
            self.credentialFile = credentialFile
            self.previousCredential = previousCredential
        }

        /// A description safe for logs: credentials are never shown.
        public var description: String {
            "\(name)\(credential != nil || credentialFile != nil ? " (credential set)" : "")"
        }

        /// The shortest credential accepted: a guessable one would open the site's content.
        public static let minimumCredentialLength = 16
    }

    /// A peer URL in the one form every satellite of a site compares: lower-case scheme and host,
    /// no trailing slash.
    public static func normalizedPeerURL(_ raw: String) -> String? {
        guard var components = URLComponents(string: raw.trimmingCharacters(in: .whitespaces)),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty, components.query == nil, components.fragment == nil,
            components.user == nil, components.password == nil
        else { return nil }
        components.scheme = scheme
        components.host = host.lowercased()
        if components.path == "/" { components.path = "" }
        guard components.path.isEmpty, let string = components.string else { return nil }
        return string
    }
}

extension DesiredState {
    /// Checks `peers` and `site` (part of `validate()`).
    func validateSite() throws(DesiredStateError) {
        var seen = Set<String>()
        for (index, peer) in (peers ?? []).enumerated() {
            guard let url = Self.normalizedPeerURL(peer.url) else {
                throw DesiredStateError(
                    field: "peers[\(index)].url",
                    "must be http(s)://host:port with no path, query or user, not '\(peer.url.prefix(200))'")
            }
            guard seen.insert(url).inserted else {
                throw DesiredStateError(field: "peers[\(index)].url", "'\(url)' is listed twice")
            }
        }
        guard let site else {
            if !(peers ?? []).isEmpty {
                throw DesiredStateError(
                    field: "site.credential",
                    "is required with peers: peers are asked with it and refuse requests without it")
            }
            return
        }
        guard site.name.utf8.count <= 63, RepositoryName.isValidComponent(site.name) else {
            throw DesiredStateError(
                field: "site.name",
                """
                must be 1 to 63 lower-case letters and digits, joined by '.', '_', '__' or '-', not \
                '\(site.name.prefix(100))'
                """
            )
        }
        if site.credential != nil && site.credentialFile != nil {
            throw DesiredStateError(field: "site.credentialFile", "give credential or credentialFile, not both")
        }
        if site.credential == nil && site.credentialFile == nil && !(peers ?? []).isEmpty {
            throw DesiredStateError(
                field: "site.credential",
                "is required with peers: peers are asked with it and refuse requests without it")
        }
        for (field, value) in [
            ("site.credential", site.credential), ("site.previousCredential", site.previousCredential),
        ] {
            guard let value else { continue }
            try Self.checkCredential(value, field: field)
        }
        var ids = Set<String>()
        for (index, id) in (site.memberIDs ?? []).enumerated() {
            guard id.hasPrefix("spiffe://"), id.utf8.count <= 2048,
                id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
            else {
                throw DesiredStateError(
                    field: "site.memberIDs[\(index)]", "must be a SPIFFE ID (spiffe://…), not '\(id.prefix(200))'")
            }
            guard ids.insert(id).inserted else {
                throw DesiredStateError(field: "site.memberIDs[\(index)]", "'\(id.prefix(200))' is listed twice")
            }
        }
    }

    /// A credential is long enough and fits in a header.
    public static func checkCredential(_ value: String, field: String) throws(DesiredStateError) {
        guard value.count >= Site.minimumCredentialLength, value.utf8.count <= 512 else {
            throw DesiredStateError(field: field, "must be \(Site.minimumCredentialLength) to 512 characters")
        }
        guard value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw DesiredStateError(field: field, "must be printable ASCII without spaces")
        }
    }
}
