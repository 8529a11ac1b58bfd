import ArgumentParser
import Foundation
import Logging
import ProgramSupport
import Replication
import RuntimeConfig
import Satellite
import SatelliteProtocol
import StateContent

/// `satellite run`: the agent. Serves a read-only registry and keeps it in line with a desired state.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Mirror a desired state into the local registry and serve it, online or not.")

    @OptionGroup var registry: RegistryOptions

    @Option(name: .customLong("state-file"), help: "Desired state, YAML or JSON; re-read when it changes.")
    var stateFile: String?

    @Option(
        name: .customLong("ground-control"),
        help: "Ground Control's URL: take the desired state from it instead of a file.")
    var groundControl: String?

    @Option(help: "One-time registration token for --ground-control (needed on the first start only).")
    var token: String?

    @Option(
        name: .customLong("ground-control-ca"),
        help: "PEM certificates to trust for Ground Control's HTTPS, instead of the system's (a private CA).")
    var groundControlCA: String?

    @Option(
        name: .customLong("svid-cert"),
        help:
            """
            The satellite's X.509-SVID from an operator's SPIFFE authority (PEM, intermediates after it), as a \
            SPIRE agent or spiffe-helper keeps it: presented to Ground Control instead of a certificate of its \
            own; re-read when it changes. Goes with --svid-key and --svid-bundle.
            """
    )
    var svidCert: String?

    @Option(name: .customLong("svid-key"), help: "The SVID's private key (PEM, owner-only).")
    var svidKey: String?

    @Option(name: .customLong("svid-bundle"), help: "The SPIFFE trust domain's bundle (PEM or SPIFFE bundle format).")
    var svidBundle: String?

    @Flag(
        name: .customLong("tls-from-ground-control"),
        help:
            """
            Serve HTTPS with a certificate Ground Control's authority issues for the first --advertise's host \
            (https://), renewed two thirds into its life, instead of --tls-cert and --tls-key.
            """
    )
    var tlsFromGroundControl = false

    @Option(name: .customLong("sync-interval"), help: "Seconds between syncs when nothing changes (default 300).")
    var syncInterval: String?

    @Option(name: .customLong("max-concurrent-blobs"), help: "Blobs downloaded at once (default 4).")
    var maxConcurrentBlobs: String?

    @Option(
        name: .customLong("bandwidth-limit"),
        help: "Download cap for the whole satellite, bytes/s; K, M, G suffixes allowed.")
    var bandwidthLimit: String?

    @Option(
        name: .customLong("upstream-timeout"), help: "Seconds to wait for an upstream to start answering (default 20).")
    var upstreamTimeout: String?

    @Option(
        name: .customLong("stall-timeout"),
        help: "Seconds without a byte before a download resumes on a new connection (default 15).")
    var stallTimeout: String?

    @Option(
        name: .customLong("state-public-key"),
        help: "File with the Ed25519 public key (base64) that --state-file's signature (FILE.sig) must verify with.")
    var statePublicKey: String?

    @Option(
        name: .customLong("configure-runtime"),
        help:
            """
            Runtimes on this node to point at the satellite, comma-separated (containerd, crio, podman, docker, \
            k3s, rke2); done at start and when the upstreams change.
            """
    )
    var configureRuntime: String?

    @Option(
        help:
            """
            Where devices and the site's other satellites reach this satellite, http(s)://HOST[:PORT] (its peers \
            and Ground Control know it by the first); repeat for the site's other satellites, in order, for \
            --configure-runtime.
            """
    )
    var advertise: [String] = []

    @Option(
        name: .customLong("advertise-ca"),
        help:
            "PEM file with the CA of the satellites' TLS certificates, for the runtimes and the site's peers to trust.")
    var advertiseCA: String?

    @Option(name: .customLong("runtime-root"), help: "The directory the runtimes' files are under (default /).")
    var runtimeRoot: String?

    @Option(
        name: .customLong("admission-listen"),
        help: "HOST:PORT for the Kubernetes admission webhook (POST /mutate) that sends pods' images here; TLS only.")
    var admissionListen: String?

    @Option(name: .customLong("admission-tls-cert"), help: "PEM certificate chain of the admission webhook.")
    var admissionCertificate: String?

    @Option(name: .customLong("admission-tls-key"), help: "PEM private key of the admission webhook.")
    var admissionKey: String?

    @Flag(
        name: .customLong("admission-tls-from-ground-control"),
        help: "Serve the admission webhook with a certificate from Ground Control's authority for --admission-name.")
    var admissionTLSFromGroundControl = false

    @Option(
        name: .customLong("admission-name"),
        help: "The webhook Service's DNS name the certificate names (default satellite-webhook.harbor-satellite.svc).")
    var admissionName: String?

    @Flag(
        name: .customLong("admission-pin-digests"),
        help: "Rewrite a tag the state pins as tag@digest, so every node runs the same image.")
    var admissionPinDigests = false

    @Option(
        name: .customLong("http-proxy-listen"),
        help: """
            HOST:PORT of an HTTP(S) proxy for devices (HTTPS_PROXY): the state's registries are served here \
            under the site CA, hosts in --proxy-pass tunnelled, anything else refused.
            """)
    var httpProxyListen: String?

    @Option(
        name: .customLong("proxy-pass"),
        help: "HOST-GLOB[:PORT|:*] the proxy tunnels to untouched (port 443 when none); repeat or comma-separate.")
    var proxyPass: [String] = []

    @Option(
        name: .customLong("proxy-ca-cert"),
        help: "PEM certificate of the proxy's site CA (default: made at first start).")
    var proxyCACertificate: String?

    @Option(name: .customLong("proxy-ca-key"), help: "PEM private key of the proxy's site CA (owner-only).")
    var proxyCAKey: String?

    @Option(
        name: .customLong("site-peers-dns"),
        help: """
            NAME:PORT whose addresses are the site's other satellites (a Kubernetes headless Service), \
            looked up every 15 s, beside the state's peers.
            """)
    var sitePeersDNS: String?

    func run() async throws {
        var flags = registry.flags
        for (name, value) in [
            "state-file": stateFile, "ground-control": groundControl, "token": token,
            "ground-control-ca": groundControlCA, "sync-interval": syncInterval,
            "max-concurrent-blobs": maxConcurrentBlobs, "bandwidth-limit": bandwidthLimit,
            "upstream-timeout": upstreamTimeout, "stall-timeout": stallTimeout, "state-public-key": statePublicKey,
            "configure-runtime": configureRuntime, "advertise-ca": advertiseCA, "runtime-root": runtimeRoot,
            "svid-cert": svidCert, "svid-key": svidKey, "svid-bundle": svidBundle,
            "admission-listen": admissionListen, "admission-tls-cert": admissionCertificate,
            "admission-tls-key": admissionKey, "admission-name": admissionName, "http-proxy-listen": httpProxyListen,
            "proxy-ca-cert": proxyCACertificate, "proxy-ca-key": proxyCAKey, "site-peers-dns": sitePeersDNS,
        ] as KeyValuePairs {
            flags.set(name, value)
        }
        flags.set("advertise", advertise)
        flags.set("proxy-pass", proxyPass.flatMap { $0.split(separator: ",").map(String.init) })
        flags.set("tls-from-ground-control", tlsFromGroundControl ? "true" : nil)
        flags.set("admission-pin-digests", admissionPinDigests ? "true" : nil)
        flags.set("admission-tls-from-ground-control", admissionTLSFromGroundControl ? "true" : nil)
        let sources = try await registry.sources(flags)
        let settings = try RegistrySettings(sources)
        let agent = try AgentSettings(sources)
        let setup = try RegistrySetup(settings, readOnly: true)
        if token != nil, case .groundControl = agent.source {
            // Every user of the machine can read a process's arguments.
            setup.logger.warning(
                """
                --token is shown to every user of this machine in the process list; prefer SATELLITE_TOKEN or \
                token: in the settings file
                """
            )
        }
        var options = agent.agent(dataDirectory: setup.registry.directory)
        // The proxy holds connections as the registry does: the same timeouts and ceiling.
        options.proxy?.limits = settings.limits
        try await setup.runtime(agent: options).run()
    }
}

/// The key an operator's state files are signed with, as `satctl state keygen` writes it.
enum StatePublicKey {
    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SettingsError("state-public-key: cannot read \(path)")
        }
        let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: key), raw.count == 32 else {
            throw SettingsError("state-public-key: \(path) must hold an Ed25519 public key, 32 bytes in base64")
        }
        return key
    }
}
