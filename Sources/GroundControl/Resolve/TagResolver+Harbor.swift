import FleetAPI
import FleetDomain
import Foundation
import Logging
import OCI
import SatelliteProtocol

/// The Harbor clients and listings of one resolve pass, each read once however many groups ask.
struct HarborListings {
    private var clients: [String: HarborAPI?] = [:]
    private var artifacts: [String: [HarborAPI.Artifact]] = [:]
    private var repositories: [String: [String]] = [:]

    /// The client for `registry` when it is a Harbor; nil for any other registry.
    mutating func client(for registry: String, fleet: Fleet, logger: Logger) async -> HarborAPI? {
        if let known = clients[registry] { return known }
        var client: HarborAPI?
        do {
            if let record = try await fleet.registries.record(registry), record.isHarbor {
                client = HarborAPI(
                    url: record.url, username: record.username ?? "", password: record.password ?? "",
                    insecure: record.insecure)
            }
        } catch {
            logger.warning("tag resolution: cannot read registry \(registry)", metadata: ["error": "\(error)"])
        }
        clients[registry] = client
        return client
    }

    mutating func artifacts(
        _ harbor: HarborAPI, project: String, repository: String
    ) async throws(HarborAPI.Failure) -> [HarborAPI.Artifact] {
        let key = "\(harbor.baseURL)|\(project)/\(repository)"
        if let known = artifacts[key] { return known }
        let listed = try await harbor.artifacts(project: project, repository: repository)
        artifacts[key] = listed
        return listed
    }

    mutating func artifact(
        _ harbor: HarborAPI, project: String, repository: String, reference: String
    ) async throws(HarborAPI.Failure) -> [HarborAPI.Artifact] {
        let key = "\(harbor.baseURL)|\(project)/\(repository)|\(reference)"
        if let known = artifacts[key] { return known }
        let found =
            try await harbor.artifact(project: project, repository: repository, reference: reference).map { [$0] } ?? []
        artifacts[key] = found
        return found
    }

    mutating func repositories(_ harbor: HarborAPI, project: String) async throws(HarborAPI.Failure) -> [String] {
        let key = "\(harbor.baseURL)|\(project)"
        if let known = repositories[key] { return known }
        let listed = try await harbor.repositories(project: project)
        repositories[key] = listed
        return listed
    }

    func shutdown() async {
        for case let client? in clients.values { await client.shutdown() }
    }
}

extension TagResolver {
    /// Resolves one entry of a group on a Harbor: a tag, or the tags its filters choose in one
    /// repository or all of a project's, each judged by the group's scan gate. A tag whose new
    /// digest the gate refuses keeps the digest that last passed, and the refusal is recorded.
    func resolveInHarbor(
        _ entry: inout GroupArtifact, gate: ScanGate?, harbor: HarborAPI, listings: inout HarborListings
    ) async {
        let project = entry.harborProject
        var names: [String]
        do {
            if let name = entry.nameInProject {
                names = [name]
            } else {
                names = try await listings.repositories(harbor, project: project)
            }
        } catch {
            logger.warning("cannot list the repositories of Harbor project \(project)", metadata: ["error": "\(error)"])
            return
        }
        names.sort()
        var resolved: [ResolvedTag] = []
        var heldBack: [HeldBackArtifact] = []
        for name in names {
            let repository = "\(project)/\(name)"
            let listed: [HarborAPI.Artifact]
            do {
                // One tag costs one request; filters need the whole listing.
                if !entry.isSelection, let tag = entry.tag {
                    listed = try await listings.artifact(
                        harbor, project: project, repository: name, reference: tag.value)
                } else {
                    listed = try await listings.artifacts(harbor, project: project, repository: name)
                }
            } catch {
                logger.warning("cannot list the artifacts of \(repository) in Harbor", metadata: ["error": "\(error)"])
                return  // one repository unread: keep everything as it was rather than drop its tags
            }
            let byDigest = Dictionary(listed.map { ($0.digest, $0) }) { first, _ in first }
            let candidates = listed.flatMap { artifact in
                (artifact.tags ?? []).map {
                    TagSelection.Candidate(
                        tag: $0.name, digest: artifact.digest, pushedAt: Self.date($0.pushTime ?? artifact.pushTime))
                }
            }
            let chosen: [TagSelection.Candidate]
            if entry.isSelection {
                chosen = entry.selection.select(candidates)
            } else if let tag = entry.tag {
                chosen = candidates.filter { $0.tag == tag.value }
                if chosen.isEmpty { logger.warning("tag \(repository):\(tag) is not in Harbor") }
            } else {
                chosen = []
            }
            for candidate in chosen {
                guard let digest = try? Digest(candidate.digest) else { continue }
                let previous =
                    entry.isSelection
                    ? entry.resolved?.first { $0.repository == repository && $0.tag == candidate.tag }?.digest
                    : entry.resolvedDigest
                if let artifact = byDigest[candidate.digest], let reason = gate?.refusal(of: artifact) {
                    heldBack.append(
                        HeldBackArtifact(repository: repository, tag: candidate.tag, digest: digest, reason: reason))
                    if let previous {
                        resolved.append(ResolvedTag(repository: repository, tag: candidate.tag, digest: previous))
                    }
                } else {
                    resolved.append(ResolvedTag(repository: repository, tag: candidate.tag, digest: digest))
                }
            }
        }
        if entry.isSelection {
            entry.resolved = resolved.sorted { ($0.repository, $0.tag) < ($1.repository, $1.tag) }
        } else if let kept = resolved.first?.digest {
            entry.resolvedDigest = kept
        }
        entry.heldBack = heldBack.isEmpty ? nil : heldBack
    }

    /// Harbor's push times, with or without fractions of a second; unknown ones sort oldest.
    static func date(_ text: String?) -> Date {
        guard let text else { return .distantPast }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text) ?? .distantPast
    }
}
