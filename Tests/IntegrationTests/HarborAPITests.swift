import FleetDomain
import Foundation
import GroundControl
import OCI
import TestSupport
import Testing

/// Ground Control's Harbor client against the stand-in: repositories inside a project, artifacts
/// with their tags read page by page, and the tag filters groups use.
@Suite struct HarborAPITests {
    @Test func artifactsAreListedPageByPageAndFilteredByTag() async throws {
        let harbor = try await HarborStandIn()
        do {
            let work = try TemporaryDirectory("harbor-images")
            defer { work.remove() }
            var builder = try OCILayoutBuilder(path: work.appending("layout"))
            let tags = ["1.24.9", "1.25.0", "1.25.1", "2.0", "latest"]
            var digests: [String: String] = [:]
            for tag in tags {
                let image = try builder.image(architecture: "amd64", layers: [["version": tag + "\n"]])
                try builder.tag(image, as: tag)
                digests[tag] = image.digest.string
                try await harbor.push(layout: work.appending("layout"), name: tag, to: "proj/team/app:\(tag)")
            }
            try await harbor.push(layout: work.appending("layout"), name: "2.0", to: "proj/tools:stable")

            // Two items per page: the listing takes three pages to read.
            let api = HarborAPI(
                url: harbor.url, username: HarborStandIn.admin, password: HarborStandIn.adminPassword, insecure: false,
                pageSize: 2)
            defer { Task { await api.shutdown() } }
            #expect(try await api.repositories(project: "proj").sorted() == ["team/app", "tools"])
            let artifacts = try await api.artifacts(project: "proj", repository: "team/app")
            #expect(artifacts.count == 5)
            #expect(Set(artifacts.flatMap { $0.tags ?? [] }.map(\.name)) == Set(tags))

            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let candidates = artifacts.flatMap { artifact in
                (artifact.tags ?? []).map { tag in
                    TagSelection.Candidate(
                        tag: tag.name, digest: artifact.digest,
                        pushedAt: formatter.date(from: tag.pushTime ?? "") ?? .distantPast)
                }
            }
            let chosen = TagSelection(semver: ">=1.25 <2").select(candidates)
            #expect(Set(chosen.map(\.tag)) == ["1.25.0", "1.25.1"])
            #expect(chosen.allSatisfy { digests[$0.tag] == $0.digest })
            #expect(TagSelection(latest: 1).select(candidates).map(\.tag) == ["latest"], "the last pushed")

            // The admin credential is required; a wrong one is refused with Harbor's status.
            let stranger = HarborAPI(url: harbor.url, username: "admin", password: "wrong", insecure: false)
            defer { Task { await stranger.shutdown() } }
            await #expect(throws: HarborAPI.Failure.self) { try await stranger.repositories(project: "proj") }
        } catch {
            await harbor.cleanUp()
            throw error
        }
        await harbor.cleanUp()
    }
}
