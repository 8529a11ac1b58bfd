import Foundation
import ProgramSupport
import RuntimeConfig
import Satellite
import StateContent

/// What `satellite run` adds to the registry's settings, read and checked at start.
struct AgentSettings {
    enum Source {
        case file(StateFileSource.Options)
        case groundControl(url: String, token: String?, caFile: String?, svid: SVIDPaths?, servingNames: [String]?)
    }

    var source: Source
    var maxConcurrentBlobs: Int?
    var bandwidthLimit: Int64?
    var upstreamTimeout: Duration
    var stallTimeout: Duration
    var syncInterval: Duration
    var runtimes: RuntimeMirrors.AgentOptions
    var admission: AdmissionWebhook?
    var proxy: SiteProxy?
    var peersDNS: SitePeersDNS?

    init(_ settings: SettingSources) throws {
        source = try Self.source(settings)
        maxConcurrentBlobs = try settings.wholeNumber("max-concurrent-blobs", in: 1...64)
        bandwidthLimit = try settings.bytes("bandwidth-limit")
        upstreamTimeout = try settings.seconds("upstream-timeout", default: 20)
        stallTimeout = try settings.seconds("stall-timeout", default: 15, lowest: 0.1)
        syncInterval = try settings.seconds("sync-interval", default: 300)
        runtimes = try Self.runtimes(settings)
        admission = try Self.admission(settings)
        proxy = try Self.proxy(settings)
        peersDNS = try Self.peersDNS(settings)
    }

    /// The agent these settings describe, keeping what it keeps in `dataDirectory`.
    func agent(dataDirectory: DataDirectory) -> SatelliteRuntime.Agent {
        var agent: SatelliteRuntime.Agent
        switch source {
        case .file(let options):
            agent = .init(source: .file(options))
        case .groundControl(let url, let token, let caFile, let svid, let servingNames):
            var options = GroundControlLink.Options(url: url, dataDirectory: dataDirectory, token: token)
            options.groundControlCA = caFile
            options.svid = svid
            options.servingNames = servingNames
            options.admissionNames = admission?.namesFromGroundControl
            agent = .init(source: .groundControl(options))
        }
        if let maxConcurrentBlobs { agent.replicator.maxConcurrentBlobs = maxConcurrentBlobs }
        agent.replicator.bandwidthLimit = bandwidthLimit
        agent.upstreams.responseTimeout = upstreamTimeout
        agent.upstreams.stallTimeout = stallTimeout
        agent.replication.syncInterval = syncInterval
        agent.runtimes = runtimes
        agent.admission = admission
        agent.proxy = proxy
        agent.peersDNS = peersDNS
        return agent
    }

    /// The admission webhook: TLS only, and sending pods to the first `--advertise`.
    private static func admission(_ settings: SettingSources) throws -> AdmissionWebhook? {
        let (certificate, key) = (settings.string("admission-tls-cert"), settings.string("admission-tls-key"))
        let fromGroundControl = settings.string("admission-tls-from-ground-control") == "true"
        let name = settings.string("admission-name")
        guard let raw = settings.string("admission-listen") else {
            guard certificate == nil, key == nil, settings.string("admission-pin-digests") == nil, !fromGroundControl,
                name == nil
            else {
                throw SettingsError(
                    """
                    admission-tls-cert, admission-tls-key, admission-tls-from-ground-control, admission-name and \
                    admission-pin-digests need --admission-listen
                    """
                )
            }
            return nil
        }
        let listen = try ListenAddress(raw, field: "admission-listen")
        let source: AdmissionWebhook.Certificate
        switch (certificate, key, fromGroundControl) {
        case (let certificate?, let key?, false):
            for (field, path) in [("admission-tls-cert", certificate), ("admission-tls-key", key)]
            where !FileManager.default.isReadableFile(atPath: path) {
                throw SettingsError("\(field): cannot read \(path)")
            }
            guard name == nil else { throw SettingsError("admission-name: is for a certificate from Ground Control") }
            source = .files(certificate: certificate, key: key)
        case (nil, nil, true):
            guard settings.string("ground-control") != nil else {
                throw SettingsError(
                    "admission-tls-from-ground-control: needs --ground-control, whose authority issues it")
            }
            let named = name ?? "satellite-webhook.harbor-satellite.svc"
            let labels = named.split(separator: ".", omittingEmptySubsequences: false)
            guard named.utf8.count <= 253,
                labels.allSatisfy({ label in
                    (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                        && label.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
                })
            else {
                throw SettingsError("admission-name: '\(named.prefix(100))' is not a lower-case DNS name")
            }
            source = .groundControl(names: [named])
        default:
            throw SettingsError(
                """
                admission-listen: the API server calls webhooks over TLS: give --admission-tls-cert and \
                --admission-tls-key, or --admission-tls-from-ground-control
                """
            )
        }
        guard let first = settings.list("advertise").first, let url = URLComponents(string: first),
            url.scheme == "http" || url.scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw SettingsError(
                "admission-listen: needs --advertise http(s)://HOST[:PORT], the address pods are sent to pull from")
        }
        let advertised = (host.contains(":") ? "[\(host)]" : host) + (url.port.map { ":\($0)" } ?? "")
        return AdmissionWebhook(
            host: listen.host, port: listen.port, certificate: source, advertised: advertised,
            pinDigests: settings.string("admission-pin-digests") == "true")
    }

    /// The HTTPS proxy, with the site CA given as two files or made in the data directory.
    private static func proxy(_ settings: SettingSources) throws -> SiteProxy? {
        let (certificate, key) = (settings.string("proxy-ca-cert"), settings.string("proxy-ca-key"))
        let pass = settings.list("proxy-pass")
        guard let raw = settings.string("http-proxy-listen") else {
            guard certificate == nil, key == nil, pass.isEmpty else {
                throw SettingsError("proxy-ca-cert, proxy-ca-key and proxy-pass need --http-proxy-listen")
            }
            return nil
        }
        let listen = try ListenAddress(raw, field: "http-proxy-listen")
        guard (certificate == nil) == (key == nil) else {
            throw SettingsError("proxy-ca-cert and proxy-ca-key are given together, or neither (one is made)")
        }
        for (field, path) in [("proxy-ca-cert", certificate), ("proxy-ca-key", key)]
        where path.map({ !FileManager.default.isReadableFile(atPath: $0) }) ?? false {
            throw SettingsError("\(field): cannot read \(path ?? "")")
        }
        return SiteProxy(
            host: listen.host, port: listen.port, pass: try passList(pass), certificatePath: certificate,
            keyPath: key)
    }

    /// `--site-peers-dns NAME:PORT`, the peers' scheme the first `--advertise`'s.
    private static func peersDNS(_ settings: SettingSources) throws -> SitePeersDNS? {
        guard let raw = settings.string("site-peers-dns") else { return nil }
        let address = try ListenAddress(raw, field: "site-peers-dns")
        guard address.port != 0, !raw.hasPrefix(":"), !raw.hasPrefix("0.0.0.0:") else {
            throw SettingsError("site-peers-dns must be NAME:PORT, a name and the port the site's satellites serve on")
        }
        guard let first = settings.list("advertise").first, let scheme = URLComponents(string: first)?.scheme else {
            throw SettingsError(
                "site-peers-dns: needs --advertise, where the site's satellites reach this one (left out of its peers)"
            )
        }
        return SitePeersDNS(name: address.host, port: address.port, scheme: scheme.lowercased())
    }

    private static func passList(_ raw: [String]) throws -> ProxyPass {
        do {
            return try ProxyPass(raw)
        } catch {
            throw SettingsError(error.description)
        }
    }

    /// A state file or Ground Control, never both.
    private static func source(_ settings: SettingSources) throws -> Source {
        if servingAsked(settings) && settings.string("ground-control") == nil {
            throw SettingsError(
                "tls-from-ground-control: needs --ground-control, whose authority issues the certificate")
        }
        switch (settings.string("state-file"), settings.string("ground-control")) {
        case (let file?, nil):
            var options = StateFileSource.Options(path: file)
            if let keyFile = settings.string("state-public-key") {
                options.publicKey = try StatePublicKey.read(keyFile)
            }
            return .file(options)
        case (nil, let url?):
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw SettingsError("ground-control must be an http:// or https:// URL, not '\(url)'")
            }
            guard settings.string("state-public-key") == nil else {
                throw SettingsError(
                    "state-public-key is for --state-file; Ground Control's key comes with registration")
            }
            let caFile = settings.string("ground-control-ca")
            if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
                throw SettingsError("ground-control-ca: cannot read \(caFile)")
            }
            return .groundControl(
                url: url, token: settings.string("token", isSecret: true), caFile: caFile, svid: try svid(settings),
                servingNames: try servingNames(settings))
        case (.some, .some):
            throw SettingsError("give state-file or ground-control, not both")
        case (nil, nil):
            throw SettingsError(
                """
                a desired state is required: --state-file FILE, or --ground-control URL with --token on the first \
                start
                """
            )
        }
    }

    private static func servingAsked(_ settings: SettingSources) -> Bool {
        settings.string("tls-from-ground-control") == "true"
    }

    /// With `tls-from-ground-control`: the host of the first `advertise`, which must be https://;
    /// the certificate replaces `tls-cert` and `tls-key`.
    private static func servingNames(_ settings: SettingSources) throws -> [String]? {
        guard servingAsked(settings) else { return nil }
        guard settings.string("tls-cert") == nil, settings.string("tls-key") == nil else {
            throw SettingsError("tls-from-ground-control: replaces tls-cert and tls-key; give one or the other")
        }
        guard let first = settings.list("advertise").first, let url = URLComponents(string: first),
            url.scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw SettingsError(
                "tls-from-ground-control: needs --advertise https://HOST[:PORT], the name the certificate is for")
        }
        return [host]
    }

    /// `svid-cert`, `svid-key` and `svid-bundle`, all or none. The files may appear after the
    /// start: a SPIFFE agent started with the satellite writes them when it has them.
    private static func svid(_ settings: SettingSources) throws -> SVIDPaths? {
        switch (settings.string("svid-cert"), settings.string("svid-key"), settings.string("svid-bundle")) {
        case (nil, nil, nil):
            return nil
        case (let certificate?, let key?, let bundle?):
            guard settings.string("ground-control")?.hasPrefix("https://") == true else {
                throw SettingsError("svid-cert: an SVID is presented over TLS; ground-control must be an https:// URL")
            }
            return SVIDPaths(certificate: certificate, key: key, bundle: bundle)
        default:
            throw SettingsError("svid-cert, svid-key and svid-bundle go together")
        }
    }

    /// `configure-runtime` and what goes with it; an address is checked here, before serving.
    private static func runtimes(_ settings: SettingSources) throws -> RuntimeMirrors.AgentOptions {
        let runtimes = try Runtime.list(settings.string("configure-runtime") ?? "")
        let addresses = settings.list("advertise")
        let advertised =
            addresses.isEmpty && runtimes.isEmpty
            ? nil : try RuntimeMirrors.Advertised(addresses, caFile: settings.string("advertise-ca"))
        return .init(runtimes: runtimes, advertised: advertised, root: settings.string("runtime-root", default: "/"))
    }
}
