import Foundation
import TestSupport
import Testing

/// `scripts/demo.sh`, the README's first command, with the programs this test run built: it
/// brings the whole system up, a real client pulls from a satellite, and Ctrl-C stops it all.
@Suite struct DemoTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/demo.sh").standardized.path

    @Test func theDemoShowsTheFleetServesPullsAndStopsCleanlyOnCtrlC() async throws {
        let products = URL(fileURLWithPath: try productPath("satctl")).deletingLastPathComponent().path
        let logs = try TemporaryDirectory("demo-test")
        defer { logs.remove() }
        let demo = try ChildProcess(
            "/bin/bash", [Self.script], logDirectory: logs.path, environment: ["DEMO_PRODUCTS": products])
        defer { demo.signal(SIGKILL) }
        try await poll("the demo to be up", timeout: .seconds(120)) {
            guard demo.isRunning else {
                throw TestSupportError("the demo exited:\n\(demo.output)\n\(demo.errorOutput)")
            }
            return demo.output.contains("Ctrl-C stops everything")
        }
        let output = demo.output
        // Both satellites synced and shown in line by Ground Control.
        let fleet = output.split(separator: "\n").filter { $0.hasPrefix("store-") }
        #expect(fleet.count == 2 && fleet.allSatisfy { $0.contains("online") && $0.hasSuffix("none") }, "\(output)")

        // The printed skopeo command works: the multi-arch image comes from the satellite.
        let inspect = try require(
            output.split(separator: "\n").first { $0.contains("skopeo inspect") }, "a skopeo line")
        let arguments = inspect.split(separator: " ").dropFirst().map(String.init) + ["--raw"]
        let index = try await runChecked("/usr/bin/skopeo", arguments)
        #expect(index.contains("arm64") && index.contains("amd64"), "\(index)")

        // An image in no list is pulled through under the group's rules; outside them, DENIED.
        #expect(output.contains("first pull from store-a: 200") && output.contains("again: 200"), "\(output)")
        #expect(output.contains("\"DENIED\"") && output.contains("satellite_pull_through_misses_total 1"), "\(output)")
        // The second node at site a filled itself from its peer, and satctl sites says so.
        let joined = try require(
            output.split(separator: "\n").first { $0.contains("store-a2 site:") }, "a site line for store-a2")
        #expect(joined.contains(" 0 from upstreams") && !joined.contains(" 0 bytes from peers"), "\(joined)")
        #expect(output.split(separator: "\n").contains { $0.contains("store-a,store-a2") }, "\(output)")
        // An operator's enrolment waits for an admin's approval.
        #expect(
            output.split(separator: "\n").contains {
                $0.contains("before: store-a3") && $0.contains("awaits approval")
            }, "\(output)")
        #expect(
            output.contains("store-a3 is told: satellite 'store-a3' was enrolled with a token an operator issued"),
            "\(output)")
        #expect(
            output.split(separator: "\n").contains {
                $0.contains("after satctl satellites approve: store-a3") && !$0.contains("awaits")
            }, "\(output)")

        // store-b pulls from the Harbor with its own robot; the scan gate held the critical image back.
        #expect(output.contains("store-b robot      harbor: robot$satellite.harbor.store-b.a"), "\(output)")
        #expect(
            output.contains("store-b held back  demo/hello:1@") && output.contains("severity critical is above"),
            "\(output)")
        #expect(
            output.contains("store-b holds harbor/demo/web:1.0") && !output.contains("store-b holds harbor/demo/hello"),
            "\(output)")

        // ship-07, never online, was fed a signed bundle; a delta with an unsigned image was refused.
        #expect(
            output.contains("satellite: imported generation")
                && output.contains("ship-07 serves demo/web:1.0 as sha256:"), "\(output)")
        #expect(output.contains("satellite: the bundle is refused") && output.contains("not signed"), "\(output)")
        #expect(
            output.contains("satctl satellites create-batch: 250 satellites, branch-000 to branch-249"), "\(output)")
        #expect(
            output.contains("edge's rollout: completed (wave 1: store-b; wave 2: store-a,store-a2,store-a3)"),
            "\(output)")
        let lines = output.split(separator: "\n")
        #expect(lines.contains { $0.contains("store-b sync window") && $0.contains("closed: upstreams not used") })
        #expect(
            lines.contains {
                $0.contains("a device asks store-b for demo/hello:2: ")
                    && $0.contains("is not held here: upstreams are not used outside the satellite's sync windows")
            } && output.contains("after sync-now, store-b: missing or stale (0)"), "\(output)")
        #expect(lines.contains { $0.contains("demo/nightly:2026") && $0.contains("[outsideSyncWindow]") })
        #expect(lines.contains { $0.contains("store-b upstream budget 1GiB/month") && $0.contains("used in 20") })
        // Demand: the pull-through and the denied requests summed, one added to the group.
        #expect(lines.contains { $0.contains("   central demo/debug:1 1 1 0 0 1") }, "\(output)")
        #expect(lines.contains { $0.contains("   central other/tool:1 2 0 2 0 1") }, "\(output)")
        #expect(output.contains("satctl: added demo/debug:1 to group edge"), "\(output)")
        #expect(
            lines.contains { $0.contains("now: central other/tool:1") }
                && !lines.contains { $0.contains("now: central demo/debug:1") }, "\(output)")
        #expect(output.contains("store-a: URI:spiffe://harbor-satellite.local/satellite/store-a"), "\(output)")
        #expect(
            output.split(separator: "\n").contains { $0.contains("/v2/ answers 200, trusting") }
                && output.contains("store-c serves as: ") && output.contains("IP Address:127.0.0.1"), "\(output)")

        // The node's containerd was pointed at store-a, and the printed restore undoes it.
        #expect(
            output.contains("[host.\"http://127.0.0.1:") && output.contains("capabilities = [\"pull\", \"resolve\"]"),
            "\(output)")
        let restore = try require(
            output.split(separator: "\n").first { $0.contains("satellite runtime restore") }, "a restore line")
        let restored = try await runChecked(
            String(restore.split(separator: " ")[0]), restore.split(separator: " ").dropFirst().map(String.init))
        #expect(restored.contains("restored"), "\(restored)")

        // The dashboard's person exists, with the password in an owner-only file, and logs in.
        let login = try require(
            output.split(separator: "\n").first { $0.contains("log in as demo") }, "the dashboard line")
        let passwordFile = try require(login.split(separator: " ").last.map(String.init), "the password file")
        let mode = try FileManager.default.attributesOfItem(atPath: passwordFile)[.posixPermissions] as? Int
        #expect(mode == 0o600, "\(passwordFile): \(String(mode ?? 0, radix: 8))")

        let workDirectory = try require(
            output.split(separator: "\n").first { $0.hasPrefix("Logs are in ") }?
                .dropFirst("Logs are in ".count).prefix { $0 != " " }.dropLast(), "the work directory")
        demo.signal(SIGINT)
        let status = try await demo.waitForExit(timeout: .seconds(30))
        #expect(status == 0, "\(demo.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: String(workDirectory)), "\(workDirectory) was left behind")
    }
}
