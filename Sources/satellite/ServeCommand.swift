import ArgumentParser
import OCI
import ProgramSupport
import Satellite
import SatelliteProtocol

/// `satellite serve`: a plain read-write OCI registry on local disk, with no agent; with
/// `--proxy-upstream`, also a pull-through cache of that registry.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a read-write OCI registry from a data directory.")

    @OptionGroup var registry: RegistryOptions

    @Option(
        name: .customLong("proxy-upstream"),
        help:
            """
            Registry URL to pull through from: what a client asks for and the store lacks is fetched from there, \
            under the same name, and kept.
            """
    )
    var proxyUpstream: String?

    @Option(
        name: .customLong("proxy-allow"),
        help:
            """
            Repository pattern that may be pulled through (* within a path component, ** across); repeatable. \
            Default: every repository.
            """
    )
    var proxyAllow: [String] = []

    @Option(
        name: .customLong("proxy-tag-ttl"),
        help: "Seconds a pulled-through tag is served before one HEAD checks it upstream (default 300).")
    var proxyTagTTL: String?

    @Option(name: .customLong("proxy-username"), help: "User name for the upstream.")
    var proxyUsername: String?

    @Option(
        name: .customLong("proxy-password-file"),
        help: "File holding the upstream's password (never on the command line).")
    var proxyPasswordFile: String?

    @Flag(name: .customLong("proxy-insecure"), help: "Skip TLS certificate verification for the upstream.")
    var proxyInsecure = false

    func run() async throws {
        var flags = registry.flags
        flags.set("proxy-upstream", proxyUpstream)
        flags.set("proxy-allow", proxyAllow)
        flags.set("proxy-tag-ttl", proxyTagTTL)
        flags.set("proxy-username", proxyUsername)
        flags.set("proxy-password-file", proxyPasswordFile)
        let sources = try await registry.sources(flags)
        let settings = try RegistrySettings(sources)
        let proxy = try proxy(sources, cacheMaxBytes: settings.cacheMaxBytes)
        var setup = try RegistrySetup(settings, readOnly: false)
        setup.registry.proxy = proxy
        try await setup.runtime().run()
    }

    /// The pull-through the settings ask for, validated as a desired state's would be.
    func proxy(_ settings: SettingSources, cacheMaxBytes: Int64?) throws -> SatelliteRuntime.ServeProxy? {
        guard let url = settings.string("proxy-upstream") else {
            guard proxyAllow.isEmpty, proxyTagTTL == nil, proxyUsername == nil, proxyPasswordFile == nil, !proxyInsecure
            else {
                throw SettingsError("the --proxy-* flags need --proxy-upstream URL")
            }
            guard cacheMaxBytes == nil else {
                throw SettingsError(
                    "cache-max-bytes is the budget of pulled-through content: it needs --proxy-upstream URL")
            }
            return nil
        }
        let allowed = settings.list("proxy-allow")
        let patterns: [RepositoryPattern]
        do {
            patterns = try (allowed.isEmpty ? ["**"] : allowed).map { try RepositoryPattern($0) }
        } catch {
            throw SettingsError("proxy-allow: \(error)")
        }
        let ttl = try settings.parsed("proxy-tag-ttl", expected: "a whole number of seconds") { Int($0) }
        let upstream = DesiredState.Upstream(
            name: "upstream", url: url, insecure: proxyInsecure ? true : nil,
            username: settings.string("proxy-username"), passwordFile: settings.string("proxy-password-file"))
        let rule = DesiredState.ProxyRule(upstream: upstream.name, repositories: patterns, tagTTL: ttl)
        do {
            try DesiredState(generation: 0, upstreams: [upstream], artifacts: [], proxy: [rule]).validate()
        } catch {
            let flag = error.field.hasPrefix("upstreams") ? "proxy-upstream" : "proxy-allow / proxy-tag-ttl"
            throw SettingsError("\(flag): \(error.message)")
        }
        return SatelliteRuntime.ServeProxy(upstream: upstream, rule: rule)
    }
}
