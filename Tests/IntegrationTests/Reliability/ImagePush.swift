import Foundation
import OCI
import TestSupport

/// Pushes a one-layer image with monolithic uploads; returns the manifest's digest.
func pushImage(layer: Data, config: Data, to baseURL: String, repository: String, tag: String) async throws -> Digest {
    for blob in [layer, config] {
        let reply = try await httpSend(
            "POST", "\(baseURL)/v2/\(repository)/blobs/uploads/?digest=\(DigestHasher.digest(of: blob))", body: blob)
        guard reply.status == 201 else { throw TestSupportError("blob push answered \(reply.status)") }
    }
    let manifest = """
        {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":"\(MediaType.ociConfig)",\
        "digest":"\(DigestHasher.digest(of: config))","size":\(config.count)},\
        "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(DigestHasher.digest(of: layer))",\
        "size":\(layer.count)}]}
        """
    let reply = try await httpSend(
        "PUT", "\(baseURL)/v2/\(repository)/manifests/\(tag)", headers: ["Content-Type": MediaType.ociManifest],
        body: Data(manifest.utf8))
    guard reply.status == 201 else { throw TestSupportError("manifest push answered \(reply.status)") }
    return DigestHasher.digest(of: Data(manifest.utf8))
}
