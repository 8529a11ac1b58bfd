import Foundation
import Logging
import RuntimeConfig
import SatelliteProtocol

/// The node's runtimes pulling through this satellite: what to tell them, worked out from the
/// satellite's verified state.
public enum RuntimeMirrors {
    /// Where the satellite is reached and the CA runtimes trust for it.
    public struct Advertised: Sendable, Equatable {
        public var endpoints: [MirrorPlan.Endpoint]
        public var ca: MirrorPlan.CertificateAuthority?

        /// Parses `--advertise` URLs (in the order runtimes try them) and reads `--advertise-ca`.
        public init(_ urls: [String], caFile: String?) throws {
            endpoints = try urls.map { raw throws(RuntimeConfigError) in try MirrorPlan.Endpoint(raw) }
            guard !endpoints.isEmpty else {
                throw RuntimeConfigError(
                    .invalidInput, "--advertise is required: the address devices reach the satellite at (never 0.0.0.0)"
                )
            }
            if let caFile {
                guard let pem = FileManager.default.contents(atPath: caFile) else {
                    throw RuntimeConfigError(.invalidInput, "--advertise-ca: cannot read \(caFile)")
                }
                ca = .init(path: caFile, pem: pem)
            }
        }
    }

    /// `satellite run --configure-runtime`: which runtimes, where devices reach the satellite,
    /// and the root their files are under.
    public struct AgentOptions: Sendable {
        public var runtimes: [Runtime]
        public var advertised: Advertised?
        public var root: String
        /// Where Ground Control's authority is kept when the satellite serves with its
        /// certificate (`--tls-from-ground-control`): trusted by the runtimes, read when they are
        /// configured, unless `--advertise-ca` names another.
        var servingCA: String?

        public init(runtimes: [Runtime], advertised: Advertised?, root: String = "/") {
            self.runtimes = runtimes
            self.advertised = advertised
            self.root = root
        }
    }

    /// Each upstream of the state, mirrored through the advertised satellites.
    public static func plan(for state: DesiredState, advertised: Advertised) throws(RuntimeConfigError) -> MirrorPlan {
        try MirrorPlan(
            registries: state.upstreams.compactMap { upstream in
                upstream.registryHost.map { .init(host: $0, server: upstream.url, namespace: upstream.name) }
            },
            endpoints: advertised.endpoints, ca: advertised.ca)
    }

    /// `--via-proxy`: docker, podman or CRI-O, one plain-HTTP proxy address, the site CA to trust, and
    /// bypass hosts that cannot break the drop-in they are written into.
    public static func proxyWay(
        runtimes: [Runtime], advertised: Advertised, bypass: [String]
    ) throws(RuntimeConfigError) -> MirrorPlan.ProxyWay {
        if let mirroring = runtimes.first(where: { ![.docker, .podman, .crio].contains($0) }) {
            throw RuntimeConfigError(
                .invalidInput,
                """
                --via-proxy and --no-proxy are for docker, podman and CRI-O: \(mirroring)'s mirror configuration \
                is where its pulls go, so configure it without them
                """
            )
        }
        guard advertised.endpoints.count == 1, let proxy = advertised.endpoints.first, !proxy.secure else {
            throw RuntimeConfigError(
                .invalidInput,
                """
                --via-proxy: give one --advertise, the proxy as docker reaches it: http://HOST:PORT \
                (--http-proxy-listen)
                """
            )
        }
        guard advertised.ca != nil else {
            throw RuntimeConfigError(
                .invalidInput, "--via-proxy needs --advertise-ca: the site CA that `satellite proxy-ca export` prints")
        }
        let hosts = bypass.flatMap { $0.split(separator: ",").map(String.init) }
        for host in hosts where host.isEmpty || host.count > 253 || !host.allSatisfy(Self.isBypassCharacter) {
            throw RuntimeConfigError(
                .invalidInput, "--no-proxy '\(host.prefix(100))' is not a host, a domain (.example.com) or an address")
        }
        return MirrorPlan.ProxyWay(bypass: hosts)
    }

    private static func isBypassCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || ".-:*/[]_".contains(character))
    }

    /// The state the agent would apply now: the state file, checked as `satellite run` checks it,
    /// or the state Ground Control last sent, kept in the data directory and verified with the
    /// key received at registration.
    public static func currentState(
        stateFile: String?, publicKey: String?, dataDirectory: DataDirectory?
    ) throws -> DesiredState {
        switch (stateFile, dataDirectory) {
        case (let path?, nil):
            let source = StateFileSource(
                options: .init(path: path, publicKey: publicKey), inbox: DesiredStateInbox(),
                logger: .init(label: "runtime"))
            let signature = publicKey == nil ? nil : FileManager.default.contents(atPath: path + ".sig")
            return try source.read(FileManager.default.contents(atPath: path), signature: signature).state
        case (nil, let directory?):
            guard let credentials = try GroundControlCredentials.load(from: directory) else {
                throw RuntimeConfigError(
                    .invalidInput,
                    """
                    \(directory) holds no Ground Control registration: give --state-file, or the --data-dir of a \
                    registered satellite
                    """
                )
            }
            switch SavedState.load(in: directory, publicKey: credentials.publicKey) {
            case .verified(let state, _): return state
            case .refused(let reason): throw RuntimeConfigError(.invalidInput, reason)
            case .nothing:
                throw RuntimeConfigError(
                    .invalidInput,
                    "\(directory) holds no desired state yet: start the satellite once so that Ground Control sends it")
            }
        case (.some, .some):
            throw RuntimeConfigError(.invalidInput, "give --state-file or --data-dir, not both")
        case (nil, nil):
            throw RuntimeConfigError(
                .invalidInput,
                "the upstreams come from the satellite's state: give --data-dir (Ground Control) or --state-file")
        }
    }
}
