import Foundation
import OCI

/// Writes OCI image layouts for the tests: images with real (uncompressed) tar layers that
/// podman and containerd can unpack, and multi-platform indexes.
///
/// Spec: https://github.com/opencontainers/image-spec/blob/main/image-layout.md
struct OCILayoutBuilder {
    let path: String
    private var references: [(descriptor: Descriptor, name: String)] = []

    init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path + "/blobs/sha256", withIntermediateDirectories: true)
        try Data("{\"imageLayoutVersion\":\"1.0.0\"}".utf8).write(to: URL(fileURLWithPath: path + "/oci-layout"))
    }

    /// Stores bytes as a blob and returns its descriptor.
    @discardableResult
    func blob(_ bytes: [UInt8], mediaType: String) throws -> Descriptor {
        let digest = DigestHasher.digest(of: bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: "\(path)/blobs/sha256/\(digest.encoded)"))
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    /// Builds an image whose layers hold the given files, for one platform.
    func image(os: String = "linux", architecture: String, layers: [[String: String]]) throws -> Descriptor {
        let layerDescriptors = try layers.map { files in
            try blob(Tar.archive(files), mediaType: "application/vnd.oci.image.layer.v1.tar")
        }
        let diffIDs = layerDescriptors.map { "\"\($0.digest)\"" }.joined(separator: ",")
        let config = """
            {"architecture":"\(architecture)","os":"\(os)","config":{"Cmd":["/bin/true"]},"rootfs":{"type":"layers",\
            "diff_ids":[\(diffIDs)]}}
            """
        let configDescriptor = try blob(Array(config.utf8), mediaType: MediaType.ociConfig)
        let layerJSON = layerDescriptors.map { descriptorJSON($0) }.joined(separator: ",")
        let manifest = """
            {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":\(descriptorJSON(configDescriptor)),\
            "layers":[\(layerJSON)]}
            """
        var descriptor = try blob(Array(manifest.utf8), mediaType: MediaType.ociManifest)
        descriptor.platform = Platform(os: os, architecture: architecture)
        return descriptor
    }

    /// Builds an index over platform images.
    func index(_ manifests: [Descriptor]) throws -> Descriptor {
        let list = manifests.map { m in
            """
            {"mediaType":"\(m.mediaType)","digest":"\(m.digest)","size":\(m.size),\
            "platform":{"architecture":"\(m.platform?.architecture ?? "")","os":"\(m.platform?.os ?? "")"}}
            """
        }.joined(separator: ",")
        let json = "{\"schemaVersion\":2,\"mediaType\":\"\(MediaType.ociIndex)\",\"manifests\":[\(list)]}"
        return try blob(Array(json.utf8), mediaType: MediaType.ociIndex)
    }

    /// Names a manifest or index in the layout's `index.json`, so `oci:PATH:NAME` finds it.
    mutating func tag(_ descriptor: Descriptor, as name: String) throws {
        references.append((descriptor, name))
        let entries = references.map { entry in
            """
            {"mediaType":"\(entry.descriptor.mediaType)","digest":"\(entry.descriptor.digest)",\
            "size":\(entry.descriptor.size),"annotations":{"org.opencontainers.image.ref.name":"\(entry.name)"}}
            """
        }.joined(separator: ",")
        let index = "{\"schemaVersion\":2,\"manifests\":[\(entries)]}"
        try Data(index.utf8).write(to: URL(fileURLWithPath: path + "/index.json"))
    }

    private func descriptorJSON(_ d: Descriptor) -> String {
        "{\"mediaType\":\"\(d.mediaType)\",\"digest\":\"\(d.digest)\",\"size\":\(d.size)}"
    }
}

/// A minimal ustar writer: regular files only, enough for test layers.
enum Tar {
    static func archive(_ files: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, content) in files.sorted(by: { $0.key < $1.key }) {
            let data = Array(content.utf8)
            var header = [UInt8](repeating: 0, count: 512)
            put(name, at: 0, width: 100, in: &header)
            put(octal(0o644, width: 7), at: 100, width: 8, in: &header)
            put(octal(0, width: 7), at: 108, width: 8, in: &header)
            put(octal(0, width: 7), at: 116, width: 8, in: &header)
            put(octal(data.count, width: 11), at: 124, width: 12, in: &header)
            put(octal(0, width: 11), at: 136, width: 12, in: &header)
            header[156] = UInt8(ascii: "0")
            put("ustar", at: 257, width: 6, in: &header)
            put("00", at: 263, width: 2, in: &header)
            // The checksum is computed with its own field read as spaces.
            for i in 148..<156 { header[i] = UInt8(ascii: " ") }
            let sum = header.reduce(0) { $0 + Int($1) }
            put(octal(sum, width: 6) + "\0 ", at: 148, width: 8, in: &header)
            out += header
            out += data
            out += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        out += [UInt8](repeating: 0, count: 1024)
        return out
    }

    private static func octal(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: max(width - digits.count, 0)) + digits
    }

    private static func put(_ string: String, at offset: Int, width: Int, in header: inout [UInt8]) {
        for (i, byte) in string.utf8.prefix(width).enumerated() { header[offset + i] = byte }
    }
}
