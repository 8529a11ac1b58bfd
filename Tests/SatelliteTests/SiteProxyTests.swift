import FleetIdentity
import Foundation
import HTTPServerSupport
import Hummingbird
import Logging
import NetworkAddresses
import RuntimeConfig
import Satellite
import SatelliteProtocol
import TestSupport
import Testing

/// The HTTPS proxy's decisions, without a socket: what a head says, which hosts are served,
/// tunnelled or refused, and how a served request names its registry.
@Suite struct SiteProxyTests {
    static let upstreams: [DesiredState.Upstream] = [
        .init(name: "central", url: "http://127.0.0.1:5000"),
        .init(name: "hub", url: "https://registry-1.docker.io"),
        .init(name: "harbor", url: "https://harbor.example.com"),
        .init(name: "v6", url: "https://[fd00::5]:5443"),
    ]

    static func namespaces() -> UpstreamNamespaces {
        let namespaces = UpstreamNamespaces()
        namespaces.update(upstreams: upstreams, held: [])
        return namespaces
    }

    static func policy(pass: [String] = []) throws -> SiteProxyPolicy {
        let namespaces = namespaces()
        let authority = try CertificateAuthority.make(commonName: "test proxy CA", now: Date())
        return SiteProxyPolicy(
            namespaces: namespaces, certificates: ProxyCertificates(authority: authority), pass: try ProxyPass(pass),
            logger: Logger(label: "test"))
    }

    @Test func connectHeadsAreReadOnlyWhenWhole() throws {
        func parse(_ text: String) throws(ProxyRequestHead.Refusal) -> ProxyRequestHead? {
            try ProxyRequestHead.parse(Array(text.utf8))?.head
        }
        #expect(
            try parse("CONNECT harbor.example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n")
                == .connect(ProxyTarget(host: "harbor.example.com", port: 443)))
        #expect(try parse("CONNECT [FD00::5]:5443 HTTP/1.1\n\n") == .connect(ProxyTarget(host: "fd00::5", port: 5443)))
        #expect(
            try parse("CONNECT Harbor.Example.COM:443 HTTP/1.0\r\n\r\n")
                == .connect(ProxyTarget(host: "harbor.example.com", port: 443)))
        #expect(try parse("GET http://harbor.example.com/v2/ HTTP/1.1\r\nHost: harbor.example.com\r\n\r\n") == .request)
        // Not yet whole: waited for.
        #expect(try parse("CONNECT harbor.example.com:443 HTTP/1.1\r\nHost: x\r\n") == nil)
        #expect(try parse("CONN") == nil)
        // The CONNECT head's length is what the TLS handshake follows.
        let head = "CONNECT h:443 HTTP/1.1\r\n\r\n"
        #expect(try ProxyRequestHead.parse(Array((head + "\u{16}\u{03}").utf8))?.length == head.utf8.count)
    }

    @Test(arguments: [
        "CONNECT harbor.example.com HTTP/1.1", "CONNECT harbor.example.com:0 HTTP/1.1",
        "CONNECT harbor.example.com:65536 HTTP/1.1", "CONNECT harbor.example.com:44a3 HTTP/1.1",
        "CONNECT :443 HTTP/1.1", "CONNECT [fd00::5 HTTP/1.1", "CONNECT [fd00::5]x:443 HTTP/1.1",
        "CONNECT a..b:443 HTTP/1.1", "CONNECT -a.b:443 HTTP/1.1", "CONNECT a/b:443 HTTP/1.1",
        "CONNECT user@host:443 HTTP/1.1", "CONNECT h:443 HTTP/2.0", "CONNECT h:443", "connect h:443 HTTP/1.1",
        "CONNECT  h:443 HTTP/1.1", "\u{0}\u{1}\u{2}", "GET /v2/\u{7f} HTTP/1.1",
    ])
    func malformedHeadsAreRefusedAsSoonAsTheirLineIsRead(_ line: String) throws {
        #expect(throws: ProxyRequestHead.Refusal.self) { try ProxyRequestHead.parse(Array((line + "\r\n").utf8)) }
        #expect(throws: ProxyRequestHead.Refusal.self) { try ProxyRequestHead.parse(Array((line + "\r\n\r\n").utf8)) }
    }

    @Test func aHeadLargerThanTheLimitIsRefused() throws {
        let long = "GET / HTTP/1.1\r\nX-Long: " + String(repeating: "a", count: ProxyRequestHead.maximumBytes)
        #expect(throws: ProxyRequestHead.Refusal.tooLarge) { try ProxyRequestHead.parse(Array(long.utf8)) }
        #expect(throws: ProxyRequestHead.Refusal.tooLarge) {
            try ProxyRequestHead.parse(Array((long + "\r\n\r\n").utf8))
        }
    }

    @Test func passPatternsMatchHostsAndPorts() throws {
        let pass = try ProxyPass(["*.ubuntu.com", "github.com", "10.0.0.?:8443", "mirror.example:*"])
        #expect(pass.allows(ProxyTarget(host: "archive.ubuntu.com", port: 443)))
        #expect(pass.allows(ProxyTarget(host: "a.b.ubuntu.com", port: 443)))
        #expect(!pass.allows(ProxyTarget(host: "ubuntu.com", port: 443)))
        #expect(!pass.allows(ProxyTarget(host: "archive.ubuntu.com", port: 80)))
        #expect(pass.allows(ProxyTarget(host: "GitHub.com", port: 443)))
        #expect(!pass.allows(ProxyTarget(host: "github.com.evil.example", port: 443)))
        #expect(pass.allows(ProxyTarget(host: "10.0.0.7", port: 8443)))
        #expect(!pass.allows(ProxyTarget(host: "10.0.0.17", port: 8443)))
        #expect(pass.allows(ProxyTarget(host: "mirror.example", port: 22)))
        #expect(!ProxyPass.none.allows(ProxyTarget(host: "github.com", port: 443)))
        for bad in ["", "a b", "host:0", "host:99999", "host:port", "a:1:2", "ex/ample", "[::1]:443"] {
            #expect(throws: ProxyPassError.self, "\(bad)") { try ProxyPass([bad]) }
        }
    }

    @Test func theStatesHostsAreServedOnTheirPortsOnly() throws {
        let namespaces = Self.namespaces()
        #expect(namespaces.namespace(proxiedTo: .init(host: "harbor.example.com", port: 443)) == "harbor.example.com")
        #expect(namespaces.namespace(proxiedTo: .init(host: "harbor.example.com", port: 80)) == "harbor.example.com")
        #expect(namespaces.namespace(proxiedTo: .init(host: "harbor.example.com", port: 8443)) == nil)
        #expect(namespaces.namespace(proxiedTo: .init(host: "127.0.0.1", port: 5000)) == "127.0.0.1:5000")
        #expect(namespaces.namespace(proxiedTo: .init(host: "127.0.0.1", port: 443)) == nil)
        #expect(
            namespaces.namespace(proxiedTo: .init(host: "registry-1.docker.io", port: 443)) == "registry-1.docker.io")
        #expect(namespaces.namespace(proxiedTo: .init(host: "fd00::5", port: 5443)) == "[fd00::5]:5443")
        #expect(namespaces.namespace(proxiedTo: .init(host: "evil.example", port: 443)) == nil)
    }

    @Test func routesServeTheStatesHostsTunnelOnlyPassedOnesAndNeverThisMachine() async throws {
        let policy = try Self.policy(pass: ["localhost", "127.0.0.1:*", "169.254.169.254:80", "*.invalid"])
        guard case .serve = await policy.route(.init(host: "harbor.example.com", port: 443)) else {
            Issue.record("the state's host is not served")
            return
        }
        for target in [
            ProxyTarget(host: "other.example.com", port: 443), ProxyTarget(host: "harbor.example.com", port: 22),
            ProxyTarget(host: "localhost", port: 443), ProxyTarget(host: "127.0.0.1", port: 5001),
            ProxyTarget(host: "169.254.169.254", port: 80),
        ] {
            guard case .refuse(let status, let reason) = await policy.route(target) else {
                Issue.record("\(target) was not refused")
                continue
            }
            #expect(status == .forbidden, "\(target): \(reason)")
        }
        // A passed name that does not resolve: a gateway error, nothing tunnelled.
        guard case .refuse(let status, _) = await policy.route(.init(host: "nothing.invalid", port: 443)) else {
            Issue.record("an unresolvable host was tunnelled")
            return
        }
        #expect(status == .badGateway)
    }

    @Test(arguments: [
        "127.0.0.1", "127.8.9.1", "0.0.0.0", "::1", "::", "::ffff:127.0.0.1", "169.254.169.254", "fe80::1",
    ])
    func thisMachineAndLinkLocalAddressesAreRefused(_ address: String) {
        #expect(NetworkAddress.forbidden(address, own: NetworkAddress.ownAddresses()) != nil)
    }

    @Test func aServedRequestNamesTheRegistryItWasSentTo() throws {
        #expect(
            SiteProxyPolicy.path("/v2/apps/web/manifests/1", namespace: "harbor.example.com")
                == "/v2/apps/web/manifests/1?ns=harbor.example.com")
        #expect(
            SiteProxyPolicy.path("/v2/_catalog?n=5&ns=evil&last=a", namespace: "127.0.0.1:5000")
                == "/v2/_catalog?n=5&last=a&ns=127.0.0.1:5000")
        #expect(
            SiteProxyPolicy.path("/v2/", namespace: "[fd00::5]:5443") == "/v2/?ns=%5Bfd00:%3A5%5D:5443"
                || SiteProxyPolicy.path("/v2/", namespace: "[fd00::5]:5443") == "/v2/?ns=%5Bfd00::5%5D:5443")
        let policy = try Self.policy()
        let target = ProxyTarget(host: "harbor.example.com", port: 443)
        let request = Request(
            head: .init(method: .get, scheme: "https", authority: "harbor.example.com", path: "/v2/a/manifests/1"),
            body: .init(buffer: .init()))
        #expect(policy.rewrite(request, for: target)?.uri.queryParameters.get("ns") == "harbor.example.com")
        let metrics = Request(
            head: .init(method: .get, scheme: "https", authority: "harbor.example.com", path: "/metrics"),
            body: .init(buffer: .init()))
        #expect(policy.rewrite(metrics, for: target) == nil)
        #expect(policy.rewrite(request, for: .init(host: "evil.example", port: 443)) == nil)
    }

    @Test func theSiteCAIsMadeOnceOwnerOnlyAndRefusedWhenOthersMayReadIt() throws {
        let directory = try TemporaryDirectory("proxy-ca")
        defer { directory.remove() }
        let data = DataDirectory(directory.path)
        let made = try ProxyAuthorityFile.load(dataDirectory: data)
        let again = try ProxyAuthorityFile.load(dataDirectory: data)
        #expect(made.certificate == again.certificate)
        let file = directory.appending("proxy-ca.pem")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try ProxyAuthorityFile.certificatePEM(made).hasPrefix("-----BEGIN CERTIFICATE-----"))

        chmod(file, 0o644)
        #expect(throws: ProxyAuthorityError.self) { try ProxyAuthorityFile.load(dataDirectory: data) }
        chmod(file, 0o600)
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o600)
        let error = #expect(throws: ProxyAuthorityError.self) { try ProxyAuthorityFile.load(dataDirectory: data) }
        #expect(error?.description.contains("proxy-ca.pem") == true)
    }
}

/// `satellite runtime configure --via-proxy`: what it refuses before any file is touched.
@Suite struct ProxyWayTests {
    static func advertised(_ urls: [String], ca: Bool = true) throws -> RuntimeMirrors.Advertised {
        var advertised = try RuntimeMirrors.Advertised(urls, caFile: nil)
        if ca { advertised.ca = .init(path: "/etc/harbor-satellite/proxy-ca.pem", pem: Data("PEM".utf8)) }
        return advertised
    }

    @Test func dockerPodmanOrCRIOOneHTTPProxyAndTheSiteCA() throws {
        let way = try RuntimeMirrors.proxyWay(
            runtimes: [.docker, .podman, .crio], advertised: try Self.advertised(["http://10.0.0.5:3128"]),
            bypass: [".corp.example,10.0.0.0/8"])
        #expect(way.bypass == [".corp.example", "10.0.0.0/8"])
        let refused: [([Runtime], RuntimeMirrors.Advertised, [String])] = [
            ([.containerd], try Self.advertised(["http://10.0.0.5:3128"]), []),
            ([.docker, .k3s], try Self.advertised(["http://10.0.0.5:3128"]), []),
            ([.docker], try Self.advertised(["https://10.0.0.5:3128"]), []),
            ([.docker], try Self.advertised(["http://10.0.0.5:3128", "http://10.0.0.6:3128"]), []),
            ([.docker], try Self.advertised(["http://10.0.0.5:3128"], ca: false), []),
            ([.docker], try Self.advertised(["http://10.0.0.5:3128"]), ["a\"b"]),
            ([.docker], try Self.advertised(["http://10.0.0.5:3128"]), ["a\nEnvironment=X=1"]),
            ([.docker], try Self.advertised(["http://10.0.0.5:3128"]), ["a b"]),
        ]
        for (runtimes, advertised, bypass) in refused {
            #expect(throws: RuntimeConfigError.self, "\(runtimes) \(advertised.endpoints) \(bypass)") {
                try RuntimeMirrors.proxyWay(runtimes: runtimes, advertised: advertised, bypass: bypass)
            }
        }
    }
}
