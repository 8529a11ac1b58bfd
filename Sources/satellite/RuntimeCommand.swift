import ArgumentParser
import Foundation
import ProgramSupport
import RuntimeConfig
import Satellite

/// `satellite runtime configure|restore`: the node's container runtimes pull through the
/// satellite, and are put back as they were.
struct RuntimeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Point this node's container runtimes at the satellite, or put them back.",
        subcommands: [Configure.self, Restore.self])

    struct Configure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Make the runtime pull the state's upstreams through the satellite, falling back to each upstream.",
            discussion:
                """
                Idempotent; the files' earlier bytes are kept once, for `satellite runtime restore`. Never \
                restarts a runtime: it says what to restart.
                """
        )

        @Option(help: "containerd, crio, podman, docker, k3s or rke2; comma-separated for several.")
        var runtime: String
        @Option(help: "The directory every path is under (default /).")
        var root = "/"
        @Option(
            name: .customLong("data-dir"),
            help: "A satellite's data directory: the upstreams come from the state Ground Control last sent it.")
        var dataDirectory: String?
        @Option(name: .customLong("state-file"), help: "A state file: the upstreams come from it.")
        var stateFile: String?
        @Option(
            name: .customLong("state-public-key"),
            help: "File with the Ed25519 public key --state-file's signature must verify with.")
        var statePublicKey: String?
        @Option(
            help:
                """
                Where devices reach the satellite, http(s)://HOST[:PORT]; repeat for several satellites, in the \
                order to try them.
                """
        )
        var advertise: [String] = []
        @Option(
            name: .customLong("advertise-ca"),
            help: "PEM file on this node with the CA of the satellites' TLS certificates.")
        var advertiseCA: String?
        @Flag(
            name: .customLong("via-proxy"),
            help: """
                docker only: pull every registry through the satellite's HTTPS proxy (a systemd drop-in with \
                HTTPS_PROXY) instead of mirroring Docker Hub; --advertise is then the proxy's http://HOST:PORT and \
                --advertise-ca the site CA (satellite proxy-ca export).
                """)
        var viaProxy = false
        @Option(
            name: .customLong("no-proxy"),
            help: "With --via-proxy: hosts docker reaches directly (NO_PROXY, beside this node's loopback).")
        var noProxy: [String] = []

        func run() async throws {
            do {
                let runtimes = try Runtime.list(runtime)
                guard !runtimes.isEmpty else { throw RuntimeConfigError(.invalidInput, "--runtime names no runtime") }
                let advertised = try RuntimeMirrors.Advertised(advertise, caFile: advertiseCA)
                let state = try RuntimeMirrors.currentState(
                    stateFile: stateFile, publicKey: try statePublicKey.map(StatePublicKey.read),
                    dataDirectory: dataDirectory.map(DataDirectory.init))
                var plan = try RuntimeMirrors.plan(for: state, advertised: advertised)
                if viaProxy || !noProxy.isEmpty {
                    plan.proxy = try RuntimeMirrors.proxyWay(
                        runtimes: runtimes, advertised: advertised, bypass: noProxy)
                }
                let configurator = RuntimeConfigurator(root: root)
                for runtime in runtimes {
                    RuntimeCommand.report(runtime, try configurator.configure(runtime, plan: plan))
                }
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Put back every file `configure` changed for the runtime, byte for byte, and remove what it added.")

        @Option(help: "containerd, crio, podman, docker, k3s or rke2; comma-separated for several.")
        var runtime: String
        @Option(help: "The directory every path is under (default /).")
        var root = "/"

        func run() async throws {
            do {
                let configurator = RuntimeConfigurator(root: root)
                for runtime in try Runtime.list(runtime) {
                    RuntimeCommand.report(runtime, try configurator.restore(runtime))
                }
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    static func report(_ runtime: Runtime, _ outcome: RuntimeConfigurator.Outcome) {
        var lines = ["\(runtime):"]
        lines += outcome.changed.map { "  written    \($0)" }
        lines += outcome.restored.map { "  restored   \($0)" }
        lines += outcome.unchanged.map { "  unchanged  \($0)" }
        lines += outcome.notes.map { "  note: \($0)" }
        print(lines.joined(separator: "\n"))
    }
}
