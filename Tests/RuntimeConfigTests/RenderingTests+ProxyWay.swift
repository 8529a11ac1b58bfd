import Foundation
import RuntimeConfig
import TOMLKit
import Testing

extension RenderingTests {
    /// `--via-proxy`: docker's daemon gets HTTPS_PROXY in a systemd drop-in and trusts the site
    /// CA for each of the state's registries (Docker Hub under both its names); daemon.json is left
    /// alone; a second run changes nothing, and restore leaves the root as it found it.
    @Test func dockerViaTheProxyGetsADropInAndTheSiteCAAndIsUndoneByteForByte() throws {
        let root = try NodeRoot(["etc/docker/daemon.json": "daemon.json"])
        defer { root.directory.remove() }
        let before = try root.snapshot()
        let ca = MirrorPlan.CertificateAuthority(path: "/etc/harbor-satellite/proxy-ca.pem", pem: Data("PEM\n".utf8))
        var plan = try samplePlan(endpoints: ["http://10.0.0.5:3128"], ca: ca)
        plan.proxy = MirrorPlan.ProxyWay(bypass: [".corp.example", "10.0.0.0/8"])
        let configurator = RuntimeConfigurator(root: root.path)

        let outcome = try configurator.configure(.docker, plan: plan)
        let unit = try root.contents("etc/systemd/system/docker.service.d/50-harbor-satellite-proxy.conf")
        #expect(unit.contains("[Service]\n"))
        #expect(unit.contains(#"Environment="HTTPS_PROXY=http://10.0.0.5:3128""#))
        #expect(unit.contains(#"Environment="HTTP_PROXY=http://10.0.0.5:3128""#))
        #expect(unit.contains(#"Environment="NO_PROXY=localhost,127.0.0.1,::1,.corp.example,10.0.0.0/8""#))
        for host in ["127.0.0.1:5000", "docker.io", "registry-1.docker.io"] {
            #expect(try root.contents("etc/docker/certs.d/\(host)/ca.crt") == "PEM\n", "\(host)")
        }
        #expect(try root.contents("etc/docker/daemon.json") == root.read("etc/docker/daemon.json"))
        #expect(!(try root.snapshot()).keys.contains { $0.contains("10.0.0.5:3128") })
        #expect(outcome.notes.contains { $0.contains("daemon-reload") })
        #expect(before["etc/docker/daemon.json"] == (try root.snapshot())["etc/docker/daemon.json"])

        let again = try configurator.configure(.docker, plan: plan)
        #expect(again.changed.isEmpty, "\(again.changed)")
        _ = try configurator.restore(.docker)
        #expect(try root.snapshot() == before)
    }

    /// podman takes the proxy from a containers.conf drop-in, CRI-O from its unit's; both trust
    /// the site CA in containers' certs.d, shared, and each is undone on its own.
    @Test func podmanAndCRIOViaTheProxyAreConfiguredAndUndoneByteForByte() throws {
        let root = try NodeRoot([:])
        defer { root.directory.remove() }
        let before = try root.snapshot()
        let ca = MirrorPlan.CertificateAuthority(path: "/etc/harbor-satellite/proxy-ca.pem", pem: Data("PEM\n".utf8))
        var plan = try samplePlan(endpoints: ["http://10.0.0.5:3128"], ca: ca)
        plan.proxy = MirrorPlan.ProxyWay()
        let configurator = RuntimeConfigurator(root: root.path)
        _ = try configurator.configure(.podman, plan: plan)
        _ = try configurator.configure(.crio, plan: plan)
        let podman = try TOMLTable(
            string: try root.contents("etc/containers/containers.conf.d/50-harbor-satellite-proxy.conf"))
        #expect(
            podman["engine"]?.table?["env"]?.array?.compactMap(\.string) == [
                "HTTPS_PROXY=http://10.0.0.5:3128", "HTTP_PROXY=http://10.0.0.5:3128",
                "NO_PROXY=localhost,127.0.0.1,::1",
            ])
        let crio = try root.contents("etc/systemd/system/crio.service.d/50-harbor-satellite-proxy.conf")
        #expect(crio.contains(#"Environment="HTTPS_PROXY=http://10.0.0.5:3128""#))
        for host in ["127.0.0.1:5000", "docker.io", "registry-1.docker.io"] {
            #expect(try root.contents("etc/containers/certs.d/\(host)/ca.crt") == "PEM\n", "\(host)")
        }
        #expect(root.read("etc/containers/registries.conf.d/50-satellite.conf") == nil, "no mirror beside the proxy")
        _ = try configurator.restore(.podman)
        #expect(try root.contents("etc/containers/certs.d/docker.io/ca.crt") == "PEM\n", "CRI-O still trusts it")
        _ = try configurator.restore(.crio)
        #expect(try root.snapshot() == before)
    }

    @Test func systemdWordsAreQuotedSoAValueCannotAddASetting() {
        #expect(ProxyWayConfig.systemdQuoted(#"a"b\c%d"#) == #""a\"b\\c%%d""#)
    }
}
