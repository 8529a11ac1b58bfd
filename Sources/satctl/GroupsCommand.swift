import ArgumentParser
import FleetAPI
import Foundation
import OCI
import SatelliteProtocol

/// `satctl groups …`
struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups", abstract: "Named lists of images from one registry.",
        subcommands: [List.self, Show.self, Put.self, AddArtifact.self, RemoveArtifact.self, Delete.self])

    static func table(_ groups: [GroupView]) -> [[String]] {
        [["NAME", "REGISTRY", "ARTIFACTS", "REVISION", "UPDATED"]]
            + groups.map {
                [$0.name, $0.registry, String($0.artifacts.count), String($0.revision), show($0.updatedAt)]
            }
    }

    static func artifactTable(_ group: GroupView) -> [[String]] {
        var rows = [["REPOSITORY", "TAG", "DIGEST", "RESOLVED", "PLATFORMS", "PRIORITY"]]
        for artifact in group.artifacts {
            let platforms = artifact.platforms?.joined(separator: ",") ?? "all"
            guard artifact.isSelection else {
                rows.append([
                    artifact.fullRepository ?? artifact.repository.value, artifact.tag?.value ?? "-",
                    artifact.digest?.string ?? "-",
                    artifact.resolvedDigest?.string ?? "-", platforms, artifact.priority ?? "",
                ])
                continue
            }
            let filters = [
                artifact.tags.map { "tags \($0)" }, artifact.semver.map { "semver \($0)" },
                artifact.latest.map { "latest \($0)" },
            ]
            .compactMap { $0 }.joined(separator: ", ")
            rows.append([
                artifact.fullRepository ?? "\(artifact.harborProject)/*", filters.isEmpty ? "every tag" : filters, "-",
                "\(artifact.resolved?.count ?? 0) tag(s)", platforms,
            ])
            for chosen in artifact.resolved ?? [] {
                rows.append(["  \(chosen.repository)", chosen.tag, "-", chosen.digest.string, ""])
            }
        }
        if group.maxSeverity != nil || group.requireScan == true {
            rows.append([])
            rows.append([
                "scan gate", group.maxSeverity.map { "max severity \($0)" } ?? "any severity",
                group.requireScan == true ? "scan required" : "unscanned allowed",
            ])
        }
        for artifact in group.artifacts {
            for held in artifact.heldBack ?? [] {
                rows.append([
                    "held back", "\(held.repository)\(held.tag.map { ":\($0)" } ?? "")", held.digest.string,
                    held.reason,
                ])
            }
        }
        if let rollout = group.rollout {
            rows += [[], ["rollout", rollout, "satctl rollouts show \(group.name)"]]
        }
        for window in group.syncWindows ?? [] {
            rows += [["sync window", window]]
        }
        if let verification = group.verification {
            rows += [
                [],
                [
                    "signatures", verification.requiresSignature ? "required" : "optional (a bad one still withholds)",
                    "\(verification.keys.count) trusted key(s)",
                ],
            ]
        }
        if let proxy = group.proxy {
            rows += [
                [],
                [
                    "pull-through", proxy.repositories.map(\.value).joined(separator: " "),
                    "tag TTL \(proxy.tagTTL ?? DesiredState.ProxyRule.defaultTagTTL) s",
                ],
            ]
        }
        return rows
    }

    /// `project/repository` (or `project/*`) with `tags=1.*`, `semver=>=1.25 <2`, `latest=3`,
    /// joined by `;`: an entry of a Harbor group choosing tags by filter.
    static func selection(_ raw: String, platforms: [String]) throws -> GroupArtifact {
        let parts = raw.split(separator: ";", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let path = parts[0]
        guard let slash = path.firstIndex(of: "/") else {
            throw SatctlError("--select '\(raw)': start with project/repository or project/*")
        }
        let project = String(path[..<slash])
        let name = String(path[path.index(after: slash)...])
        var tags: String?
        var semver: String?
        var latest: Int?
        for filter in parts.dropFirst() {
            let pair = filter.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw SatctlError("--select '\(raw)': '\(filter)' is not key=value") }
            switch pair[0] {
            case "tags": tags = pair[1]
            case "semver": semver = pair[1]
            case "latest":
                guard let count = Int(pair[1]) else { throw SatctlError("--select '\(raw)': latest must be a number") }
                latest = count
            default: throw SatctlError("--select '\(raw)': '\(pair[0])' is not tags, semver or latest")
            }
        }
        do {
            var artifact = try GroupArtifact(
                project: project, repository: name == "*" ? nil : RepositoryName(name), tags: tags, semver: semver,
                latest: latest)
            artifact.platforms = platforms.isEmpty ? nil : platforms
            return artifact
        } catch {
            throw SatctlError("--select '\(raw)': \(error.message)")
        }
    }

    /// `repository[:tag][@digest]`, as in `library/alpine:3.20` or `apps/web@sha256:…`.
    static func artifact(_ raw: String, platforms: [String]) throws -> GroupArtifact {
        var rest = Substring(raw)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            do {
                digest = try Digest(String(rest[rest.index(after: at)...]))
            } catch {
                throw SatctlError("artifact '\(raw)': \(error)")
            }
            rest = rest[..<at]
        }
        var tag: Tag?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            do {
                tag = try Tag(String(rest[rest.index(after: colon)...]))
            } catch {
                throw SatctlError("artifact '\(raw)': \(error)")
            }
            rest = rest[..<colon]
        }
        guard tag != nil || digest != nil else { throw SatctlError("artifact '\(raw)' needs :tag, @digest or both") }
        do {
            return GroupArtifact(
                repository: try RepositoryName(String(rest)), tag: tag, digest: digest,
                platforms: platforms.isEmpty ? nil : platforms)
        } catch {
            throw SatctlError("artifact '\(raw)': \(error)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List groups.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let groups = try await APIClient.with(connection) {
                try await $0.get("/api/v1/groups", as: [GroupView].self)
            }
            try emit(groups, connection.output, table: GroupsCommand.table)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a group's artifacts and resolved digests.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            let group = try await APIClient.with(connection) {
                try await $0.get("/api/v1/groups/\(segment(name))", as: GroupView.self)
            }
            try emit(group, connection.output, table: GroupsCommand.artifactTable)
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or replace a group.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(help: "The registry the artifacts come from.")
        var registry: String
        @Option(name: .customLong("artifact"), help: "repository[:tag][@digest]; repeat for several.")
        var artifacts: [String] = []
        @Option(
            name: .customLong("platform"),
            help: "Only this platform of an index (os/arch[/variant]); repeat for several.")
        var platforms: [String] = []
        @Option(
            name: .customLong("proxy-allow"),
            help:
                """
                A repository pattern satellites may pull through on first pull (library/*, apps/**); repeat for \
                several. Anything else is denied.
                """
        )
        var proxyAllow: [String] = []
        @Option(
            name: .customLong("proxy-tag-ttl"),
            help: "Seconds a pulled-through tag is served before one HEAD revalidates it (default 300).")
        var proxyTagTTL: Int?
        @Option(
            name: .customLong("select"),
            help:
                """
                Harbor: 'project/repository;tags=1.*;semver=>=1.25 <2;latest=3' (project/* for every repository); \
                repeat for several.
                """
        )
        var selections: [String] = []
        @Option(
            name: .customLong("max-severity"),
            help: "Harbor scan gate: none, low, medium, high or critical; worse findings are withheld.")
        var maxSeverity: String?
        @Flag(name: .customLong("require-scan"), help: "Harbor scan gate: withhold artifacts not scanned successfully.")
        var requireScan = false
        @Option(
            name: .customLong("verify-key"),
            help:
                """
                A PEM public key (file) whose cosign signature admits an artifact; repeat for several. Satellites \
                then require a signature.
                """
        )
        var verifyKeys: [String] = []
        @Flag(
            name: .customLong("signatures-optional"),
            help: "With --verify-key: admit unsigned artifacts too (a bad signature still withholds one).")
        var signaturesOptional = false
        @Option(
            help:
                """
                Reach the members in waves: 'waves=1,10%,50%,100%;soak=10m;max-failed=0;order=canary=true' \
                (order=site keeps a site in one wave). All at once without it.
                """
        )
        var rollout: String?
        @Option(
            name: .customLong("critical-artifact"),
            help:
                """
                An artifact as --artifact takes it, which members fetch even past their upstream budget; repeat \
                for several.
                """
        )
        var criticalArtifacts: [String] = []
        @OptionGroup var windowOptions: SyncWindowOptions

        func run() async throws {
            guard windowOptions.outsideWindow == nil else {
                throw SatctlError("--outside-window is a satellite's or a site's setting, not a group's")
            }
            if let rollout {
                do { _ = try RolloutPolicy(rollout) } catch { throw SatctlError("--rollout: \(error)") }
            }
            guard proxyTagTTL == nil || !proxyAllow.isEmpty else {
                throw SatctlError("--proxy-tag-ttl needs at least one --proxy-allow")
            }
            guard !signaturesOptional || !verifyKeys.isEmpty else {
                throw SatctlError("--signatures-optional needs at least one --verify-key")
            }
            let keys = try verifyKeys.map { path in
                do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                    throw SatctlError("--verify-key \(path): cannot read it: \(error.localizedDescription)")
                }
            }
            let proxy =
                proxyAllow.isEmpty
                ? nil
                : GroupProxy(
                    repositories: try proxyAllow.map { raw in
                        do { return try RepositoryPattern(raw) } catch {
                            throw SatctlError("--proxy-allow: \((error as? OCIError)?.message ?? "\(error)")")
                        }
                    },
                    tagTTL: proxyTagTTL)
            let definition = GroupDefinition(
                registry: registry,
                artifacts: try artifacts.map { try GroupsCommand.artifact($0, platforms: platforms) }
                    + criticalArtifacts.map { raw in
                        var artifact = try GroupsCommand.artifact(raw, platforms: platforms)
                        artifact.priority = DesiredState.Artifact.critical
                        return artifact
                    }
                    + selections.map { try GroupsCommand.selection($0, platforms: platforms) },
                proxy: proxy, maxSeverity: maxSeverity, requireScan: requireScan ? true : nil,
                verification: keys.isEmpty
                    ? nil : DesiredState.Verification(keys: keys, required: signaturesOptional ? false : nil),
                rollout: rollout, syncWindows: try windowOptions.windows())
            let group = try await APIClient.with(connection) { client in
                try client.decode(
                    GroupView.self, try await client.send("PUT", "/api/v1/groups/\(segment(name))", body: definition))
            }
            try emit(group, connection.output, table: GroupsCommand.artifactTable)
        }
    }

    struct AddArtifact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add artifacts to a group.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Argument(help: "repository[:tag][@digest]") var artifacts: [String]
        @Option(name: .customLong("platform"), help: "Only this platform of an index; repeat for several.")
        var platforms: [String] = []

        func run() async throws {
            let added = try artifacts.map { try GroupsCommand.artifact($0, platforms: platforms) }
            let group = try await GroupsCommand.edit(name, connection) { current in
                current + added.filter { !current.contains($0) }
            }
            try emit(group, connection.output, table: GroupsCommand.artifactTable)
        }
    }

    struct RemoveArtifact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Remove artifacts from a group.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Argument(help: "repository[:tag][@digest], as listed") var artifacts: [String]

        func run() async throws {
            let removed = try artifacts.map { try GroupsCommand.artifact($0, platforms: []) }
            let group = try await GroupsCommand.edit(name, connection) { current in
                let kept = current.filter { artifact in
                    !removed.contains {
                        $0.repository == artifact.repository && $0.tag == artifact.tag && $0.digest == artifact.digest
                    }
                }
                guard kept.count + removed.count == current.count else {
                    throw SatctlError("not every artifact given is in group \(name)")
                }
                return kept
            }
            try emit(group, connection.output, table: GroupsCommand.artifactTable)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a group no satellite uses.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            _ = try await APIClient.with(connection) { try await $0.send("DELETE", "/api/v1/groups/\(segment(name))") }
            print("deleted group \(name)")
        }
    }

    /// Reads the group, changes its artifact list, and puts it back unless someone changed it
    /// meanwhile (`If-Match`); then reads it again, up to three times.
    static func edit(
        _ name: String, _ connection: ConnectionOptions, _ change: ([GroupArtifact]) throws -> [GroupArtifact]
    ) async throws -> GroupView {
        try await APIClient.with(connection) { client in
            for attempt in 1...3 {
                let group = try await client.get("/api/v1/groups/\(segment(name))", as: GroupView.self)
                var definition = group.definition
                definition.artifacts = try change(definition.artifacts)
                do {
                    let data = try await client.send(
                        "PUT", "/api/v1/groups/\(segment(name))", body: definition,
                        headers: ["If-Match": "\"\(group.revision)\""])
                    return try client.decode(GroupView.self, data)
                } catch let error as SatctlError where error.description.hasPrefix("CHANGED") && attempt < 3 {
                    continue
                }
            }
            throw SatctlError("group \(name) kept changing while it was being edited; try again")
        }
    }
}
