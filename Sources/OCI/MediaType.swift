/// Well-known media types, and validation of media type strings.
///
/// Spec: https://github.com/opencontainers/image-spec/blob/main/media-types.md
public enum MediaType {
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociEmpty = "application/vnd.oci.empty.v1+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    public static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    /// Every manifest media type this registry stores.
    public static let manifestTypes: Set<String> = [ociManifest, ociIndex, dockerManifest, dockerManifestList]

    /// Media types whose layers may live elsewhere, so a manifest may name them without the blob being present.
    public static func isNonDistributable(_ mediaType: String) -> Bool {
        mediaType.hasPrefix("application/vnd.oci.image.layer.nondistributable.")
            || mediaType == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    }

    /// True when `value` has the RFC 6838 shape `type/subtype` (parameters after `;` are ignored).
    public static func isValid(_ value: String) -> Bool {
        let essence = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces } ?? ""
        let parts = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.count <= 127 && part.utf8.allSatisfy(isRestrictedNameChar)
        }
    }

    /// The media type without parameters, lowercased.
    public static func essence(_ value: String) -> String {
        (value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces } ?? "").lowercased()
    }

    private static func isRestrictedNameChar(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
            || "!#$&-^_.+".utf8.contains(c)
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
