import Foundation
import OCI
import SatelliteProtocol
import StrictJSON

/// Where things are in a bundle: an OCI image layout (`oci-layout`, `index.json`, `blobs/`),
/// so other tools read its images, plus the desired state it brings and Ground Control's
/// signature of it under `satellite/`. The state and its signature come first, so that an import
/// refuses a forged bundle before it reads any content.
public enum BundleLayout {
    public static let layoutFile = "oci-layout"
    public static let indexFile = "index.json"
    public static let stateFile = "satellite/state.json"
    public static let signatureFile = "satellite/state.signature"
    public static let aboutFile = "satellite/bundle.json"
    public static let layoutContent = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)
    /// The annotation the image layout names images by (`skopeo copy oci-archive:FILE:NAME`).
    public static let refName = "org.opencontainers.image.ref.name"
    /// The largest state, index or signature read into memory.
    public static let smallFileLimit = 16 << 20

    public static func blobPath(_ digest: Digest) -> String {
        "blobs/\(digest.algorithm.rawValue)/\(digest.encoded)"
    }

    /// The digest a `blobs/<algorithm>/<hex>` path names; nil for any other path.
    public static func digest(atPath path: String) -> Digest? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "blobs" else { return nil }
        return try? Digest("\(parts[1]):\(parts[2])")
    }

    /// A name in `index.json`: the image as the satellite serves it, `<upstream>/<repository>:<tag>`.
    public static func imageName(repository: String, tag: String) -> String { "\(repository):\(tag)" }
}

/// What `satellite/bundle.json` says about a bundle, for people and error messages. Nothing in it
/// is trusted: the state is checked by its signature and every blob by its digest.
public struct BundleAbout: Codable, Sendable, Equatable {
    public var formatVersion = 1
    public var generation: Int64
    /// The generation whose content this bundle leaves out (a delta), if any.
    public var since: Int64?
    public var blobs: Int
    public var bytes: Int64

    public init(generation: Int64, since: Int64?, blobs: Int, bytes: Int64) {
        self.generation = generation
        self.since = since
        self.blobs = blobs
        self.bytes = bytes
    }
}

/// A bundle's `index.json`: every manifest it holds, the tagged ones named as the satellite
/// serves them.
public struct BundleIndex: Sendable, Equatable {
    public private(set) var manifests: [Descriptor] = []
    private var seen = Set<Digest>()

    public init() {}

    public mutating func add(_ descriptor: Descriptor) {
        guard seen.insert(descriptor.digest).inserted else {
            // A manifest that is both tagged and listed untagged keeps its name.
            if let name = descriptor.annotations?[BundleLayout.refName],
                let index = manifests.firstIndex(where: {
                    $0.digest == descriptor.digest && $0.annotations?[BundleLayout.refName] == nil
                })
            {
                manifests[index].annotations = [BundleLayout.refName: name]
            } else if descriptor.annotations?[BundleLayout.refName] != nil {
                manifests.append(descriptor)
            }
            return
        }
        manifests.append(descriptor)
    }

    /// Where each `<repository>:<tag>` name points.
    public var tags: [String: Digest] {
        var tags: [String: Digest] = [:]
        for descriptor in manifests {
            if let name = descriptor.annotations?[BundleLayout.refName] { tags[name] = descriptor.digest }
        }
        return tags
    }

    public func mediaType(of digest: Digest) -> String? {
        manifests.first { $0.digest == digest }?.mediaType
    }

    private struct Document: Codable {
        var schemaVersion = 2
        var mediaType: String? = MediaType.ociIndex
        var manifests: [Descriptor]
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(Document(manifests: manifests)))
    }

    public init(parsing bytes: [UInt8]) throws(ReplicationError) {
        let document: Document
        do {
            document = try StrictJSONDecoder(rejectsUnknownFields: false).decode(Document.self, from: bytes)
        } catch {
            throw ReplicationError(.invalidContent, "\(BundleLayout.indexFile) is not an OCI index: \(error)")
        }
        guard document.schemaVersion == 2 else {
            throw ReplicationError(.invalidContent, "\(BundleLayout.indexFile): schemaVersion must be 2")
        }
        for descriptor in document.manifests { add(descriptor) }
    }
}
