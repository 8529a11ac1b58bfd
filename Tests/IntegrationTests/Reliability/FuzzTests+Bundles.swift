import Foundation
import TestSupport
import Testing

extension Reliability.FuzzTests {
    /// Issue 25.6: bundles whose tar headers lie (a pax size near Int64.max crashed the importer
    /// before the signature check): each is refused with a message and an exit status of 1,
    /// leaves no blob behind, and the data directory still takes a bundle afterwards.
    @Test func satelliteImportRefusesCraftedTarHeaders() async throws {
        let python = try requireTool("python3", package: "python3")
        let work = try TemporaryDirectory("tar-fuzz")
        defer { work.remove() }
        let archives = work.appending("archives")
        try FileManager.default.createDirectory(atPath: archives, withIntermediateDirectories: true)
        try await runChecked(python, ["\(RealClientTests.scripts)/tar-fuzz.py", archives, Self.seed, "160"])
        // Any key will do: none of these carries a state it signed.
        try Data("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".utf8).write(
            to: URL(fileURLWithPath: work.appending("key.pub")))
        let data = work.appending("data")
        var crashed: [String] = []
        var silent: [String] = []
        let names = try FileManager.default.contentsOfDirectory(atPath: archives).sorted()
        for name in names {
            let result = try await run(
                try productPath("satellite"),
                ["import", "\(archives)/\(name)", "--data-dir", data, "--state-public-key", work.appending("key.pub")],
                timeout: .seconds(60))
            if result.status != 1 { crashed.append("\(name): exit \(result.status)") }
            if result.error.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { silent.append(name) }
        }
        print("FuzzTests (bundles, seed \(Self.seed)): \(names.count) crafted archives refused")
        #expect(names.count >= 160)
        #expect(crashed.isEmpty, "\(crashed)")
        #expect(silent.isEmpty, "refused without a message: \(silent)")
        #expect(try blobFiles(in: data).isEmpty)
    }
}
