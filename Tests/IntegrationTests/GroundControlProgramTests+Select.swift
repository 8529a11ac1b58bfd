import TestSupport
import Testing

extension GroundControlProgramTests {
    /// A `--select` that cannot be read is refused by satctl itself, naming the option, the value
    /// and what is wrong with it, before anything is sent (the URL given answers nothing).
    @Test(arguments: [
        ("proj", "start with project/repository or project/*"),
        ("proj/app;tags", "'tags' is not key=value"),
        ("proj/app;latest=many", "latest must be a number"),
        ("proj/app;colour=blue", "'colour' is not tags, semver or latest"),
        ("proj/App;tags=1.*", "--select 'proj/App;tags=1.*': "),
    ])
    func unreadableSelectionsAreRefusedBySatctl(selection: String, complaint: String) async throws {
        let refused = try await run(
            try productPath("satctl"),
            [
                "groups", "put", "edge", "--registry", "central", "--select", selection, "--url", "http://127.0.0.1:9",
                "--token", "unused",
            ])
        #expect(
            refused.status != 0 && refused.error.contains("--select '\(selection)'")
                && refused.error.contains(complaint), "\(refused.error)")
        #expect(!refused.error.contains("127.0.0.1:9"), "satctl tried to send it: \(refused.error)")
    }
}
