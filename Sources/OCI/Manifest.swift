import Foundation
import StrictJSON

/// A manifest checked against the image and distribution specs, with what a registry must know of it.
///
/// The original bytes are not kept here: the store keeps them exactly as pushed.
public struct ParsedManifest: Sendable, Equatable {
    /// Whether the manifest lists blobs (image) or other manifests (index).
    public enum Kind: Sendable, Equatable {
        case image
        case index
    }

    public let kind: Kind
    /// The manifest's media type (from its `mediaType` field, or the Content-Type it was pushed with).
    public let mediaType: String
    /// The config and layers a registry must hold before accepting the manifest.
    public let requiredBlobs: [Descriptor]
    /// Every blob descriptor, including non-distributable layers that need not be present.
    public let blobs: [Descriptor]
    /// The manifests an index lists.
    public let manifests: [Descriptor]
    /// The manifest this one refers to, for the referrers API.
    public let subject: Descriptor?
    /// The artifact type reported in referrers listings: `artifactType`, else the config's media type.
    public let artifactType: String?
    /// Top-level annotations.
    public let annotations: [String: String]?

    /// Every descriptor that content-reachability follows: blobs then child manifests.
    public var references: [Descriptor] { blobs + manifests }

    private struct Document: Decodable {
        var schemaVersion: Int?
        var mediaType: String?
        var artifactType: String?
        var config: Descriptor?
        var layers: [Descriptor]?
        var manifests: [Descriptor]?
        var subject: Descriptor?
        var annotations: [String: String]?
    }

    /// Parses manifest bytes pushed with the given Content-Type (nil when the request had none).
    public init(bytes: some Collection<UInt8> & Sendable, contentType: String?) throws(OCIError) {
        let document: Document
        do {
            // Strict: what other clients would read differently (a duplicate `layers`, UTF-16, a
            // byte-order mark) must not be accepted; unknown fields are the spec's extension point.
            document = try StrictJSONDecoder(rejectsUnknownFields: false).decode(Document.self, from: bytes)
        } catch let error as StrictJSONError {
            throw OCIError(.manifestInvalid, "manifest is not valid: \(error)")
        } catch let DecodingError.dataCorrupted(context) {
            throw OCIError(
                .manifestInvalid,
                "manifest is not valid: \(context.debugDescription) at \(Self.path(context.codingPath))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw OCIError(.manifestInvalid, "manifest field \(Self.path(context.codingPath)) has the wrong type")
        } catch let DecodingError.keyNotFound(key, context) {
            throw OCIError(.manifestInvalid, "manifest is missing \(Self.path(context.codingPath + [key]))")
        } catch {
            throw OCIError(.manifestInvalid, "manifest is not valid JSON")
        }

        let declared = document.mediaType
        let header = contentType.map(MediaType.essence)
        if let declared, let header, header != declared.lowercased() {
            throw OCIError(
                .manifestInvalid, "Content-Type '\(header)' does not match the manifest's mediaType '\(declared)'")
        }
        guard let mediaType = declared ?? header ?? Self.inferMediaType(document) else {
            throw OCIError(.manifestInvalid, "manifest has no mediaType and the request no Content-Type")
        }
        if mediaType == MediaType.dockerSchema1 || mediaType == MediaType.dockerSchema1Signed
            || document.schemaVersion == 1
        {
            throw OCIError(.manifestInvalid, "Docker schema 1 manifests are not supported")
        }
        guard document.schemaVersion == 2 else {
            throw OCIError(.manifestInvalid, "manifest schemaVersion must be 2")
        }
        if let artifactType = document.artifactType, !MediaType.isValid(artifactType) {
            throw OCIError(.manifestInvalid, "artifactType '\(artifactType)' is not a media type")
        }

        switch mediaType {
        case MediaType.ociManifest, MediaType.dockerManifest:
            guard let config = document.config else {
                throw OCIError(.manifestInvalid, "image manifest is missing config")
            }
            guard let layers = document.layers else {
                throw OCIError(.manifestInvalid, "image manifest is missing layers")
            }
            if document.manifests != nil {
                throw OCIError(.manifestInvalid, "image manifest must not list manifests")
            }
            let all = [config] + layers
            try Self.checkDescriptors(all, field: "layers")
            kind = .image
            blobs = all
            requiredBlobs = all.filter { !MediaType.isNonDistributable($0.mediaType) }
            manifests = []
            artifactType = document.artifactType ?? config.mediaType
        case MediaType.ociIndex, MediaType.dockerManifestList:
            guard let children = document.manifests else {
                throw OCIError(.manifestInvalid, "index is missing manifests")
            }
            if document.config != nil || document.layers != nil {
                throw OCIError(.manifestInvalid, "index must not have config or layers")
            }
            try Self.checkDescriptors(children, field: "manifests")
            kind = .index
            blobs = []
            requiredBlobs = []
            manifests = children
            artifactType = document.artifactType
        default:
            throw OCIError(.manifestInvalid, "unsupported manifest media type '\(mediaType.prefix(200))'")
        }
        if let subject = document.subject {
            try Self.checkDescriptors([subject], field: "subject")
        }
        self.mediaType = mediaType
        self.subject = document.subject
        self.annotations = document.annotations
    }

    /// A descriptor for this manifest, as listed in an index or a referrers response.
    public func descriptor(digest: Digest, size: Int64) -> Descriptor {
        Descriptor(
            mediaType: mediaType, digest: digest, size: size, annotations: annotations, artifactType: artifactType)
    }

    private static func inferMediaType(_ document: Document) -> String? {
        if document.manifests != nil { return MediaType.ociIndex }
        if document.config != nil { return MediaType.ociManifest }
        return nil
    }

    private static func checkDescriptors(_ descriptors: [Descriptor], field: String) throws(OCIError) {
        for descriptor in descriptors {
            guard descriptor.size >= 0 else {
                throw OCIError(.manifestInvalid, "\(field): descriptor \(descriptor.digest) has a negative size")
            }
            guard MediaType.isValid(descriptor.mediaType) else {
                throw OCIError(.manifestInvalid, "\(field): '\(descriptor.mediaType.prefix(200))' is not a media type")
            }
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
}
