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

    func run() async throws {
        let registry = try RegistrySettings(self.registry, readOnly: true)
        let settings = registry.settings
        let groundControlURL = settings.string("ground-control", flag: groundControl)
        var agent: SatelliteRuntime.Agent
        switch (settings.string("state-file", flag: self.stateFile), groundControlURL) {
        case (let file?, nil):
            var options = StateFileSource.Options(path: file)
            if let keyFile = settings.string("state-public-key", flag: statePublicKey) {
                options.publicKey = try StatePublicKey.read(keyFile)
            }
            agent = .init(source: .file(options))
        case (nil, let url?):
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw SettingsError("ground-control must be an http:// or https:// URL, not '\(url)'")
            }
            guard settings.string("state-public-key", flag: statePublicKey) == nil else {
                throw SettingsError(
                    "state-public-key is for --state-file; Ground Control's key comes with registration")
            }
            if token != nil {
                // Every user of the machine can read a process's arguments.
                registry.logger.warning(
                    """
                    --token is shown to every user of this machine in the process list; prefer SATELLITE_TOKEN or \
                    token: in the settings file
                    """
                )
            }
            agent = .init(
                source: .groundControl(
                    .init(
                        url: url, dataDirectory: registry.registry.directory,
                        token: settings.string("token", flag: token))))
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
        if let raw = settings.string("max-concurrent-blobs", flag: maxConcurrentBlobs) {
            guard let count = Int(raw), (1...64).contains(count) else {
                throw SettingsError("max-concurrent-blobs must be a whole number from 1 to 64, not '\(raw)'")
            }
            agent.replicator.maxConcurrentBlobs = count
        }
        if let raw = settings.string("bandwidth-limit", flag: bandwidthLimit) {
            agent.replicator.bandwidthLimit = try ByteCount.parse(raw, setting: "bandwidth-limit")
        }
        agent.upstreams.responseTimeout = .seconds(
            try settings.seconds("upstream-timeout", flag: upstreamTimeout, default: 20))
        agent.upstreams.stallTimeout = .milliseconds(
            Int64(1000 * max(0.1, try settings.seconds("stall-timeout", flag: stallTimeout, default: 15))))
        agent.replication.syncInterval = .seconds(
            try settings.seconds("sync-interval", flag: syncInterval, default: 300))
        agent.runtimes = try runtimeOptions(settings)
        try await registry.runtime(agent: agent).run()
    }
}

extension RunCommand {
    /// `--configure-runtime` and what goes with it; an address is checked here, before serving.
    private func runtimeOptions(_ settings: Settings) throws -> RuntimeMirrors.AgentOptions {
        let runtimes = try Runtime.list(settings.string("configure-runtime", flag: configureRuntime) ?? "")
        // Several addresses from the environment or the config file are comma-separated.
        let addresses =
            advertise.isEmpty
            ? (settings.string("advertise", flag: nil) ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            : advertise
        let advertised =
            addresses.isEmpty && runtimes.isEmpty
            ? nil
            : try RuntimeMirrors.Advertised(addresses, caFile: settings.string("advertise-ca", flag: advertiseCA))
        return .init(
            runtimes: runtimes, advertised: advertised, root: settings.string("runtime-root", flag: runtimeRoot) ?? "/")
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

/// Byte counts written like `500000`, `512K`, `10M` or `1G` (powers of 1024).
enum ByteCount {
    static func parse(_ raw: String, setting: String) throws -> Int64 {
        guard let value = ByteSize.parse(raw) else {
            throw SettingsError("\(setting) must be a positive number of bytes (K, M, G, T allowed), not '\(raw)'")
        }
        return value
    }
}
