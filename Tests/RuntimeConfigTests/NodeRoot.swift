import Foundation
import RuntimeConfig
import TestSupport

/// A temporary node root seeded with fixture files, and a snapshot of every file and directory
/// under it, to compare byte for byte.
struct NodeRoot {
    let directory: TemporaryDirectory
    var path: String { directory.path }

    init(_ seeds: [String: String] = [:]) throws {
        directory = try TemporaryDirectory("runtime-root")
        for (target, fixture) in seeds {
            try put(target, try Data(contentsOf: Self.fixture(fixture)))
        }
    }

    static func fixture(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    }

    func put(_ relative: String, _ data: Data) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    /// The file's text; a missing file fails the test.
    func contents(_ relative: String) throws -> String {
        guard let text = read(relative) else { throw TestSupportError("\(relative) was not written") }
        return text
    }

    func read(_ relative: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: path).appendingPathComponent(relative))).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// Every entry under the root: files with their bytes and mode, directories by name.
    func snapshot() throws -> [String: String] {
        var entries: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let relative = enumerator?.nextObject() as? String {
            let full = path + "/" + relative
            let attributes = try FileManager.default.attributesOfItem(atPath: full)
            let mode = (attributes[.posixPermissions] as? Int).map { String($0, radix: 8) } ?? "?"
            if attributes[.type] as? FileAttributeType == .typeDirectory {
                entries[relative] = "directory \(mode)"
            } else {
                entries[relative] =
                    "file \(mode) " + String(decoding: try Data(contentsOf: URL(fileURLWithPath: full)), as: UTF8.self)
            }
        }
        return entries
    }
}

/// Two upstreams (one on plain HTTP, one Docker Hub) mirrored through two satellites.
func samplePlan(
    endpoints: [String] = ["http://10.0.0.5:8080", "http://10.0.0.6:8080"], ca: MirrorPlan.CertificateAuthority? = nil
) throws -> MirrorPlan {
    try MirrorPlan(
        registries: [
            .init(host: "127.0.0.1:5000", server: "http://127.0.0.1:5000", namespace: "central"),
            .init(host: "docker.io", server: "https://registry-1.docker.io", namespace: "hub"),
        ],
        endpoints: try endpoints.map { raw throws(RuntimeConfigError) in try MirrorPlan.Endpoint(raw) }, ca: ca)
}
