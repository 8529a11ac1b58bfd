import FleetDomain
import Foundation
import GroundControl
import Testing

@Suite struct TagSelectionTests {
    /// Tags pushed a minute apart, in this order; `1.25.1` and `stable` name one artifact.
    static let pushed: [TagSelection.Candidate] = {
        let names = ["1.24.9", "v1.25.0", "1.25.1", "stable", "1.26.0-rc1", "2.0", "latest", "1.x"]
        return names.enumerated().map { index, name in
            let digest = name == "stable" ? "sha256:1.25.1" : "sha256:\(name)"
            return TagSelection.Candidate(
                tag: name, digest: digest, pushedAt: Date(timeIntervalSince1970: Double(index) * 60))
        }
    }()

    static func tags(_ selection: TagSelection) -> [String] { selection.select(pushed).map(\.tag) }

    @Test func globsMatchWholeTags() {
        #expect(Self.tags(TagSelection(tags: "1.*")) == ["1.x", "1.26.0-rc1", "1.25.1", "1.24.9"])
        #expect(Self.tags(TagSelection(tags: "?.0")) == ["2.0"])
        #expect(Self.tags(TagSelection(tags: "*rc*")) == ["1.26.0-rc1"])
        #expect(Self.tags(TagSelection(tags: "stable")) == ["stable"])
        #expect(Self.tags(TagSelection(tags: "1.2")) == [])
    }

    @Test func semverRangesReadTagsAsReleases() {
        #expect(
            Self.tags(TagSelection(semver: ">=1.25 <2")) == ["1.25.1", "v1.25.0"],
            "no pre-release, no 2.0, v read as a prefix")
        #expect(Self.tags(TagSelection(semver: ">1.25.0")) == ["2.0", "1.25.1"])
        #expect(Self.tags(TagSelection(semver: "1.25")) == ["v1.25.0"], "a bare version means exactly it")
        #expect(Self.tags(TagSelection(semver: "<=1.24.9")) == ["1.24.9"])
    }

    @Test func latestKeepsTheNewestArtifactsWithTheirTags() {
        #expect(Self.tags(TagSelection(latest: 2)) == ["1.x", "latest"])
        // `stable` and `1.25.1` are one artifact: both of its tags come along.
        #expect(Self.tags(TagSelection(semver: "<2", latest: 2)) == ["1.25.1", "v1.25.0"])
        #expect(Self.tags(TagSelection(tags: "*", latest: 6)).contains("stable"))
        #expect(Set(TagSelection(tags: "*", latest: 6).select(Self.pushed).map(\.digest)).count == 6)
    }

    @Test func badFiltersNameTheirField() {
        #expect(throws: GroundControlError.self) { try TagSelection(semver: ">=1.x").validate(field: "artifacts[0]") }
        #expect(throws: GroundControlError.self) { try TagSelection(semver: "~1.2").validate(field: "artifacts[0]") }
        #expect(throws: GroundControlError.self) { try TagSelection(latest: 0).validate(field: "artifacts[0]") }
        #expect(throws: GroundControlError.self) { try TagSelection(tags: "a b").validate(field: "artifacts[0]") }
        do {
            try TagSelection(semver: "nope").validate(field: "artifacts[2]")
            Issue.record("accepted")
        } catch {
            #expect(error.message.hasPrefix("artifacts[2].semver: "), "\(error)")
        }
        #expect(throws: Never.self) { try TagSelection(tags: "1.*", semver: ">=1 <2", latest: 3).validate(field: "a") }
    }
}
