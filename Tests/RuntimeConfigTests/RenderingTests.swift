import Foundation
import RuntimeConfig
import TOMLKit
import TestSupport
import Testing
import Yams

/// What each runtime is told, read back with a parser of its format.
@Suite struct RenderingTests {
    @Test func containerdTriesEverySatelliteInOrderThenTheUpstream() throws {
        let root = try NodeRoot()
        defer { root.directory.remove() }
        _ = try RuntimeConfigurator(root: root.path).configure(.containerd, plan: try samplePlan())
        let hosts = try TOMLTable(string: try root.contents("etc/containerd/certs.d/127.0.0.1:5000/hosts.toml"))
        #expect(hosts["server"]?.string == "http://127.0.0.1:5000")
        let mirrors = try #require(hosts["host"]?.table)
        #expect(mirrors.keys == ["http://10.0.0.5:8080", "http://10.0.0.6:8080"])
        #expect(
            mirrors["http://10.0.0.5:8080"]?.table?["capabilities"]?.array?.compactMap(\.string) == ["pull", "resolve"])
        let hub = try TOMLTable(string: try root.contents("etc/containerd/certs.d/docker.io/hosts.toml"))
        #expect(hub["server"]?.string == "https://registry-1.docker.io")
        // A fresh config.toml in the layout both 1.x and 2.x read.
        let config = try TOMLTable(string: try root.contents("etc/containerd/config.toml"))
        #expect(config["version"]?.int == 2)
        #expect(
            config["plugins"]?.table?["io.containerd.grpc.v1.cri"]?.table?["registry"]?.table?["config_path"]?.string
                == root.path + "/etc/containerd/certs.d")
    }

    @Test func containerdTwoKeepsItsDirectoriesAfterOurs() throws {
        let root = try NodeRoot(["etc/containerd/config.toml": "containerd-2.x-config.toml"])
        defer { root.directory.remove() }
        _ = try RuntimeConfigurator(root: root.path).configure(.containerd, plan: try samplePlan())
        let config = try TOMLTable(string: try root.contents("etc/containerd/config.toml"))
        let images = try #require(config["plugins"]?.table?["io.containerd.cri.v1.images"]?.table)
        #expect(
            images["registry"]?.table?["config_path"]?.string == root.path
                + "/etc/containerd/certs.d:/etc/containerd/certs.d:/etc/docker/certs.d")
        // The rest is as it was.
        #expect(images["pinned_images"]?.table?["sandbox"]?.string == "registry.k8s.io/pause:3.10")
        #expect(
            config["plugins"]?.table?["io.containerd.cri.v1.runtime"]?.table?["containerd"]?.table?["runtimes"]?.table?[
                "runc"]?.table?["options"]?.table?["SystemdCgroup"]?.bool == true)
    }

    @Test func containerdNamesTheSatellitesCAWhenTheyServeTLS() throws {
        let root = try NodeRoot()
        defer { root.directory.remove() }
        let ca = MirrorPlan.CertificateAuthority(
            path: "/etc/harbor-satellite/ca.pem", pem: Data("-----BEGIN CERTIFICATE-----\n".utf8))
        _ = try RuntimeConfigurator(root: root.path).configure(
            .containerd, plan: try samplePlan(endpoints: ["https://sat.plant.example:8443"], ca: ca))
        let hosts = try TOMLTable(string: try root.contents("etc/containerd/certs.d/docker.io/hosts.toml"))
        #expect(
            hosts["host"]?.table?["https://sat.plant.example:8443"]?.table?["ca"]?.string
                == "/etc/harbor-satellite/ca.pem")
    }

    @Test func containersMirrorsNameTheUpstreamInTheirPath() throws {
        let root = try NodeRoot(["etc/containers/registries.conf": "registries.conf"])
        defer { root.directory.remove() }
        _ = try RuntimeConfigurator(root: root.path).configure(.podman, plan: try samplePlan())
        let dropIn = try TOMLTable(string: try root.contents("etc/containers/registries.conf.d/50-satellite.conf"))
        let registryArray = try #require(dropIn["registry"]?.array)
        let registries = registryArray.compactMap { $0.table }
        #expect(registries.map { $0["prefix"]?.string } == ["127.0.0.1:5000", "docker.io"])
        #expect(registries[0]["insecure"]?.bool == true, "the upstream itself is plain HTTP")
        let mirrorArray = try #require(registries[1]["mirror"]?.array)
        let mirrors = mirrorArray.compactMap { $0.table }
        #expect(mirrors.map { $0["location"]?.string } == ["10.0.0.5:8080/hub", "10.0.0.6:8080/hub"])
        #expect(mirrors.allSatisfy { $0["insecure"]?.bool == true })
        #expect(
            root.read("etc/containers/registries.conf")
                == String(decoding: try Data(contentsOf: NodeRoot.fixture("registries.conf")), as: UTF8.self))
    }

    @Test func dockerGetsTheMirrorFirstAndKeepsItsOtherSettings() throws {
        let root = try NodeRoot(["etc/docker/daemon.json": "daemon.json"])
        defer { root.directory.remove() }
        let outcome = try RuntimeConfigurator(root: root.path).configure(.docker, plan: try samplePlan())
        let parsed = try JSONSerialization.jsonObject(with: Data(try root.contents("etc/docker/daemon.json").utf8))
        let daemon = try #require(parsed as? [String: Any])
        #expect(
            daemon["registry-mirrors"] as? [String] == [
                "http://10.0.0.5:8080", "http://10.0.0.6:8080", "https://mirror.gcr.io",
            ])
        #expect(daemon["insecure-registries"] as? [String] == ["10.0.0.5:8080", "10.0.0.6:8080"])
        #expect(daemon["storage-driver"] as? String == "overlay2" && daemon["live-restore"] as? Bool == true)
        #expect((daemon["log-opts"] as? [String: String])?["max-size"] == "10m")
        #expect(
            outcome.notes.contains { $0.contains("Docker Hub only") }
                && outcome.notes.contains { $0.contains("never restarts") })
    }

    /// docker mirrors Docker Hub only: with no Docker Hub upstream and every satellite on HTTPS,
    /// it needs nothing, and a node without a daemon.json is left without one.
    @Test func dockerWithNothingToChangeWritesNoDaemonFile() throws {
        let root = try NodeRoot([:])
        defer { root.directory.remove() }
        let plan = try MirrorPlan(
            registries: [
                .init(host: "registry.plant.example", server: "https://registry.plant.example", namespace: "central")
            ],
            endpoints: [try MirrorPlan.Endpoint("https://sat.plant.example:8443")])
        let configurator = RuntimeConfigurator(root: root.path)
        let outcome = try configurator.configure(.docker, plan: plan)
        #expect(root.read("etc/docker/daemon.json") == nil && outcome.changed.isEmpty, "\(outcome.changed)")
        _ = try configurator.restore(.docker)
        #expect(root.read("etc/docker/daemon.json") == nil)
    }

    @Test func k3sListsTheSatellitesBeforeTheMirrorsItHad() throws {
        let root = try NodeRoot(["etc/rancher/k3s/registries.yaml": "k3s-registries.yaml"])
        defer { root.directory.remove() }
        let ca = MirrorPlan.CertificateAuthority(path: "/etc/harbor-satellite/ca.pem", pem: Data())
        _ = try RuntimeConfigurator(root: root.path).configure(
            .k3s, plan: try samplePlan(endpoints: ["https://sat.plant.example:8443"], ca: ca))
        let loaded = try Yams.load(yaml: try root.contents("etc/rancher/k3s/registries.yaml"))
        let yaml = try #require(loaded as? [String: Any])
        let mirrors = try #require(yaml["mirrors"] as? [String: Any])
        #expect(
            (mirrors["docker.io"] as? [String: Any])?["endpoint"] as? [String] == [
                "https://sat.plant.example:8443", "https://mirror.plant.example:5000",
            ])
        #expect(
            (mirrors["127.0.0.1:5000"] as? [String: Any])?["endpoint"] as? [String] == [
                "https://sat.plant.example:8443"
            ])
        let configs = try #require(yaml["configs"] as? [String: Any])
        #expect(
            ((configs["sat.plant.example:8443"] as? [String: Any])?["tls"] as? [String: Any])?["ca_file"] as? String
                == "/etc/harbor-satellite/ca.pem")
        #expect(
            ((configs["mirror.plant.example:5000"] as? [String: Any])?["auth"] as? [String: Any])?["username"]
                as? String == "plant-puller")
    }
}
