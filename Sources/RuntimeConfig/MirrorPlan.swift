import Foundation

/// What a node's runtimes are told: for each upstream registry, pull through these satellites
/// first, in order, then fall back to the upstream itself.
public struct MirrorPlan: Sendable, Equatable {
    /// An upstream registry whose pulls go through the satellites.
    public struct Registry: Sendable, Equatable {
        /// The host image references name it by (`127.0.0.1:5000`, `docker.io`); containerd sends
        /// it as `?ns=`.
        public var host: String
        /// Where the upstream answers (`https://registry-1.docker.io`), for the fallback.
        public var server: String
        /// The upstream's name in the state: the path prefix a satellite serves its content under,
        /// used by mirrors that send no `ns` (CRI-O, podman).
        public var namespace: String

        public init(host: String, server: String, namespace: String) {
            self.host = host
            self.server = server
            self.namespace = namespace
        }

        /// True when the upstream speaks plain HTTP.
        var plainHTTP: Bool { server.lowercased().hasPrefix("http://") }
    }

    /// A satellite devices reach, as given by `--advertise`.
    public struct Endpoint: Sendable, Equatable {
        /// `http(s)://host[:port]`, without a trailing slash.
        public let url: String
        /// `host[:port]`, as runtimes name a registry.
        public let authority: String
        public let secure: Bool

        /// Parses an advertise URL: http or https, a host devices can reach, nothing after the port.
        public init(_ raw: String) throws(RuntimeConfigError) {
            let trimmed = raw.hasSuffix("/") ? String(raw.dropLast()) : raw
            guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
                components.path.isEmpty, components.query == nil, components.user == nil, components.fragment == nil
            else {
                throw RuntimeConfigError(
                    .invalidInput,
                    """
                    --advertise '\(raw.prefix(200))' must be http://HOST[:PORT] or https://HOST[:PORT], the \
                    address devices reach the satellite at
                    """
                )
            }
            let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            guard !["0.0.0.0", "::", "0:0:0:0:0:0:0:0"].contains(bare) else {
                throw RuntimeConfigError(
                    .invalidInput,
                    """
                    --advertise '\(raw.prefix(200))' names no address: devices cannot pull from \(host); give the \
                    address they reach this node at
                    """
                )
            }
            secure = scheme == "https"
            let hostPart = bare.contains(":") ? "[\(bare)]" : bare.lowercased()
            authority = components.port.map { "\(hostPart):\($0)" } ?? hostPart
            url = "\(scheme)://\(authority)"
        }
    }

    /// The CA that signed the satellites' TLS certificates, when they serve with their own.
    public struct CertificateAuthority: Sendable, Equatable {
        /// Where the PEM file is on the node (containerd and k3s name it).
        public var path: String
        /// Its bytes (copied where podman, CRI-O and docker look).
        public var pem: Data

        public init(path: String, pem: Data) {
            self.path = path
            self.pem = pem
        }
    }

    public var registries: [Registry]
    /// The satellites, in the order runtimes should try them.
    public var endpoints: [Endpoint]
    public var ca: CertificateAuthority?
    /// Reach the satellite as an HTTPS proxy rather than as a mirror (`--via-proxy`): the first
    /// endpoint is the proxy (`--http-proxy-listen` as devices reach it) and `ca` its site CA.
    public var proxy: ProxyWay?

    /// How a runtime that cannot mirror every registry (docker) reaches the satellite's proxy.
    public struct ProxyWay: Sendable, Equatable {
        /// Hosts never sent through the proxy, beyond this node's loopback (`NO_PROXY`).
        public var bypass: [String]

        public init(bypass: [String] = []) {
            self.bypass = bypass
        }
    }

    public init(
        registries: [Registry], endpoints: [Endpoint], ca: CertificateAuthority? = nil
    ) throws(RuntimeConfigError) {
        guard !endpoints.isEmpty else {
            throw RuntimeConfigError(
                .invalidInput, "--advertise is required: the address devices reach the satellite at")
        }
        if let ca, !ca.path.hasPrefix("/") {
            throw RuntimeConfigError(
                .invalidInput, "the CA file '\(ca.path.prefix(200))' must be an absolute path on the node")
        }
        self.registries = registries
        self.endpoints = endpoints
        self.ca = ca
    }
}
