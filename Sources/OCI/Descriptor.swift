/// A content descriptor: what a manifest or index says about one piece of content.
///
/// Spec: https://github.com/opencontainers/image-spec/blob/main/descriptor.md
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    public var data: String?
    public var artifactType: String?
    public var platform: Platform?

    public init(
        mediaType: String, digest: Digest, size: Int64,
        annotations: [String: String]? = nil, artifactType: String? = nil, platform: Platform? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.artifactType = artifactType
        self.platform = platform
    }
}

/// The platform an image in an index runs on.
///
/// Spec: https://github.com/opencontainers/image-spec/blob/main/image-index.md
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var osVersion: String?
    public var osFeatures: [String]?
    public var variant: String?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// `os/architecture[/variant]`, the form users write.
    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }
}

/// An OCI image index, used for referrers responses and multi-platform images.
///
/// Spec: https://github.com/opencontainers/image-spec/blob/main/image-index.md
public struct ImageIndex: Codable, Sendable, Equatable {
    public var schemaVersion: Int = 2
    public var mediaType: String = MediaType.ociIndex
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.manifests = manifests
        self.annotations = annotations
    }
}

extension Platform {
    /// Parses `os/architecture[/variant]`, the form users write (`linux/arm64/v8`).
    public init(parsing raw: String) throws(OCIError) {
        let parts = raw.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count),
            parts.allSatisfy({
                !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }
            })
        else {
            throw OCIError(.manifestInvalid, "platform '\(raw.prefix(100))' must be os/architecture[/variant]")
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// Whether an image for `candidate` satisfies this selector: same os and architecture, and the
    /// same variant when the selector names one.
    public func selects(_ candidate: Platform) -> Bool {
        os == candidate.os && architecture == candidate.architecture && (variant == nil || variant == candidate.variant)
    }
}
