import Foundation
import TestSupport
import Testing

/// Issue 25.10: a satellite's data directory is its owner's alone unless the operator asks
/// otherwise, whatever the umask; and a token on the command line is warned about.
@Suite struct DataDirectoryModeTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    /// Every file under `directory` with its mode, and every directory's.
    static func modes(under directory: String) throws -> (files: [String: Int], directories: [String: Int]) {
        var files: [String: Int] = [:], directories: [String: Int] = [:]
        for relative in try FileManager.default.subpathsOfDirectory(atPath: directory) {
            let path = directory + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                directories[relative] = try mode(path)
            } else {
                files[relative] = try mode(path)
            }
        }
        return (files, directories)
    }

    @Test(arguments: [(nil, 0o700, 0o600), ("0750", 0o750, 0o640)] as [(String?, Int, Int)])
    func theDataDirectoryAndEverythingInItAreTheOwnersUnlessAsked(
        flag: String?, directoryMode: Int, fileMode: Int
    ) async throws {
        let satellite = try await SatelliteProcess(extraArguments: flag.map { ["--data-mode", $0] } ?? [])
        defer { Task { await satellite.cleanUp() } }
        let layer = Data(patternBytes(64 * 1024, seed: 9))
        _ = try await pushImage(
            layer: layer, config: Data(#"{"architecture":"amd64","os":"linux"}"#.utf8),
            to: satellite.baseURL, repository: "apps/web", tag: "v1")
        #expect(try Self.mode(satellite.dataDirectory) == directoryMode)
        let (files, directories) = try Self.modes(under: satellite.dataDirectory)
        #expect(
            files.keys.contains("registry.sqlite") && files.keys.contains { $0.hasPrefix("blobs/sha256/") },
            "\(files.keys.sorted())")
        for (file, mode) in files where !file.hasSuffix(".lock") {
            #expect(mode & ~fileMode == 0, "\(file) is \(String(mode, radix: 8))")
        }
        for (directory, mode) in directories {
            #expect(mode & ~directoryMode == 0, "\(directory)/ is \(String(mode, radix: 8))")
        }
    }

    @Test func modesThatLockTheOwnerOutAreRefused() async throws {
        let work = try TemporaryDirectory("data-mode")
        defer { work.remove() }
        for bad in ["0600", "777x", "1777", "0070"] {
            let result = try await run(
                try productPath("satellite"),
                ["serve", "--data-dir", work.appending("data"), "--listen", "127.0.0.1:0", "--data-mode", bad])
            #expect(result.status != 0 && result.error.contains("data-mode"), "\(bad): \(result)")
        }
    }

    /// A directory mounted for the satellite but owned by another user keeps its mode, with a
    /// warning, and the satellite starts (refusing would stop a Kubernetes volume with fsGroup).
    @Test func aDataDirectoryOfAnotherUserKeepsItsModeWithAWarning() async throws {
        let setpriv = try requireTool("setpriv", package: "util-linux")
        try #require(getuid() == 0, "the test runs the satellite as another user, which needs root")
        let work = try TemporaryDirectory("data-mode-owner")
        defer { work.remove() }
        let data = work.appending("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        #expect(chmod(work.path, 0o755) == 0 && chmod(data, 0o777) == 0)
        let child = try ChildProcess(
            setpriv,
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", try productPath("satellite"), "serve", "--data-dir",
                data, "--listen", "127.0.0.1:0",
            ],
            logDirectory: work.path)
        defer { Task { await child.stop() } }
        try await poll("the satellite to serve") {
            guard child.isRunning else { throw TestSupportError("satellite exited: \(child.errorOutput)") }
            return child.output.contains("satellite: serving")
        }
        #expect(child.errorOutput.contains("is not this user's, so its mode stays 777"), "\(child.errorOutput)")
        #expect(try Self.mode(data) == 0o777)
        #expect(try Self.mode(data + "/registry.sqlite") & 0o077 == 0, "what it writes still follows data-mode")
    }

    @Test func aTokenOnTheCommandLineIsWarnedAbout() async throws {
        let work = try TemporaryDirectory("token-flag")
        defer { work.remove() }
        let child = try ChildProcess(
            try productPath("satellite"),
            [
                "run", "--data-dir", work.appending("data"), "--listen", "127.0.0.1:0", "--ground-control",
                "http://127.0.0.1:1", "--token", "gct_example",
            ],
            logDirectory: work.path)
        defer { Task { await child.stop() } }
        try await poll("the warning about --token") {
            (child.output + child.errorOutput).contains("--token is shown to every user")
        }
        #expect(!(child.output + child.errorOutput).contains("gct_example"), "the token itself is never logged")
    }
}
