import OCI

/// A manifest as the store holds it: its exact bytes and what the registry reports about it.
public struct StoredManifest: Sendable, Equatable {
    public let digest: Digest
    public let mediaType: String
    public let bytes: [UInt8]
    public var size: Int64 { Int64(bytes.count) }
}

/// The outcome of pushing a manifest.
public struct ManifestPutResult: Sendable, Equatable {
    public let digest: Digest
    /// The manifest's subject, reported back in the `OCI-Subject` header.
    public let subject: Digest?
}
