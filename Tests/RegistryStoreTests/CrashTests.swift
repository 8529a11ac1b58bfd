import Foundation
import OCI
import RegistryStore
import TestSupport
import Testing

/// Kills a process that is writing to the store with SIGKILL at arbitrary moments, then checks
/// the store reopens clean: every commit the process reported is there, and no blob file holds
/// anything but the bytes its name promises.
@Suite struct CrashTests {
    @Test(arguments: [false, true])
    func killNineAtAnyInstantLeavesAConsistentStore(collecting: Bool) async throws {
        let helper = try productPath("store-crash-helper")
        let directory = try TemporaryDirectory("crash")
        defer { directory.remove() }
        let data = directory.appending("data")
        var committed: [(tag: String, digest: String)] = []
        var generator = SystemRandomNumberGenerator()

        for round in 0..<(collecting ? 4 : 6) {
            let child = try ChildProcess(
                helper, [data, String(round * 100_000)] + (collecting ? ["gc"] : []), logDirectory: directory.path)
            if collecting {
                // It kills itself inside its first garbage collection pass.
                try await poll("the helper to kill itself while collecting", timeout: .seconds(120)) {
                    !child.isRunning
                }
            } else {
                // Let it commit a few images, then kill it at a random moment in the next stretch.
                try await poll("the helper to commit", timeout: .seconds(60)) {
                    child.output.split(separator: "\n").count >= 3 || !child.isRunning
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0..<150, using: &generator)))
                child.signal(SIGKILL)
            }
            try await child.waitForExit()
            #expect(child.errorOutput.isEmpty, "helper failed: \(child.errorOutput)")
            // Checked as the kill left it, before a reopen could repair anything.
            let inspection = try StoreInspection.inspect(directory: data)
            #expect(inspection.problems.isEmpty, "round \(round): \(inspection.problems.prefix(5))")
            for line in child.output.split(separator: "\n") {
                let parts = line.split(separator: " ")
                // A line cut by the kill is not a report of a commit.
                if parts.count == 3, parts[0] == "committed", parts[2].count == 71 {
                    committed.append((String(parts[1]), String(parts[2])))
                }
            }
        }
        #expect(committed.count >= (collecting ? 4 : 18))

        let store = try RegistryStore(directory: data)
        let repository = try RepositoryName("crash/test")
        for (tag, digest) in committed {
            let manifest = try await store.manifest(repository: repository, reference: .tag(try Tag(tag)))
            #expect(manifest.digest.string == digest, "tag \(tag) lost")
            #expect(DigestHasher.digest(of: manifest.bytes) == manifest.digest)
            let parsed = try ParsedManifest(bytes: manifest.bytes, contentType: manifest.mediaType)
            for blob in parsed.blobs {
                let reader = try await store.openBlob(repository: repository, digest: blob.digest)
                #expect(reader.size == blob.size)
            }
        }
        // Every blob file's bytes hash to its name: no partial blob can ever be served.
        for prefix in try FileManager.default.contentsOfDirectory(atPath: data + "/blobs/sha256") {
            let folder = data + "/blobs/sha256/" + prefix
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
                #expect(DigestHasher.digest(of: bytes).encoded == name, "blob file \(name) is corrupt")
            }
        }
        // Reopening swept upload debris that no session owns.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: data + "/uploads")
        for name in leftovers {
            #expect(UploadID(name) != nil, "unowned upload file \(name) survived the sweep")
        }
    }
}
