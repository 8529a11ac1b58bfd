import Foundation
import OCI
import TestSupport

/// TestImages for the tests: a two-platform index sharing a layer, another image sharing it too,
/// and images that differ, all in one OCI layout.
struct TestImages {
    let layout: String
    let amd64: Descriptor
    let arm64: Descriptor
    let index: Descriptor
    let other: Descriptor
    let first: Descriptor
    let second: Descriptor
    let big: Descriptor

    init(in directory: TemporaryDirectory) throws {
        layout = directory.appending("layout")
        var builder = try OCILayoutBuilder(path: layout)
        let shared = ["shared/lib": "bytes every image here has\n"]
        amd64 = try builder.image(architecture: "amd64", layers: [shared, ["arch": "amd64\n"]])
        arm64 = try builder.image(architecture: "arm64", layers: [shared, ["arch": "arm64\n"]])
        index = try builder.index([amd64, arm64])
        other = try builder.image(architecture: "amd64", layers: [shared, ["app": "other\n"]])
        first = try builder.image(architecture: "amd64", layers: [shared, ["version": "first\n"]])
        second = try builder.image(architecture: "amd64", layers: [shared, ["version": "second\n"]])
        let chunk = { (seed: UInt64) in Data(patternBytes(3 * 1024 * 1024, seed: seed)).base64EncodedString() }
        big = try builder.image(architecture: "amd64", layers: [["a": chunk(1)], ["b": chunk(2)], ["c": chunk(3)]])
        try builder.tag(index, as: "multi")
        try builder.tag(other, as: "other")
        try builder.tag(first, as: "first")
        try builder.tag(second, as: "second")
        try builder.tag(big, as: "big")
    }

    /// Sum of the sizes of a manifest and all it names, read from the layout.
    func contentSize(of image: Descriptor) throws -> Int64 {
        let bytes = try [UInt8](
            Data(contentsOf: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(image.digest.encoded)")))
        let parsed = try ParsedManifest(bytes: bytes, contentType: image.mediaType)
        return Int64(bytes.count) + parsed.blobs.reduce(0) { $0 + $1.size }
    }

    func blobs(of image: Descriptor) throws -> [Descriptor] {
        try Self.blobs(of: [image], in: layout)
    }

    /// The blobs (config and layers) of manifests in a layout.
    static func blobs(of manifests: [Descriptor], in layout: String) throws -> [Descriptor] {
        try manifests.flatMap { image in
            let bytes = try [UInt8](
                Data(contentsOf: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(image.digest.encoded)")))
            return try ParsedManifest(bytes: bytes, contentType: image.mediaType).blobs
        }
    }
}

/// Runs `body` with a work directory, the test images and a fresh upstream, cleaning up after.
func withUpstream(
    auth: UpstreamRegistry.Auth = .basic, tls: Bool = false,
    _ body: (TemporaryDirectory, TestImages, UpstreamRegistry) async throws -> Void
) async throws {
    let work = try TemporaryDirectory("replication")
    defer { work.remove() }
    let images = try TestImages(in: work)
    let upstream = try await UpstreamRegistry(auth: auth, tls: tls)
    do {
        try await body(work, images, upstream)
    } catch {
        await upstream.cleanUp()
        throw error
    }
    await upstream.cleanUp()
}
