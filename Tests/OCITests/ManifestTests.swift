import Foundation
import OCI
import Testing

@Suite struct ManifestTests {
    static let config = "sha256:" + String(repeating: "c", count: 64)
    static let layer = "sha256:" + String(repeating: "d", count: 64)
    static let child = "sha256:" + String(repeating: "e", count: 64)

    static func image(mediaType: String? = MediaType.ociManifest, extra: String = "") -> String {
        let mt = mediaType.map { "\"mediaType\":\"\($0)\"," } ?? ""
        return """
            {"schemaVersion":2,\(mt)"config":{"mediaType":"application/vnd.oci.image.config.v1+json",\
            "digest":"\(config)","size":2},
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(layer)",\
            "size":10}]\(extra)}
            """
    }

    @Test func parsesImageManifest() throws {
        let parsed = try ParsedManifest(bytes: Array(Self.image().utf8), contentType: MediaType.ociManifest)
        #expect(parsed.kind == .image)
        #expect(parsed.requiredBlobs.map(\.digest.string) == [Self.config, Self.layer])
        #expect(parsed.artifactType == MediaType.ociConfig)
        #expect(parsed.subject == nil)
    }

    @Test func parsesArtifactWithSubject() throws {
        let json = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "artifactType":"application/vnd.example.sbom",
            "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"\(Self.config)","size":2},"layers":[],
            "subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(Self.child)","size":100},
            "annotations":{"org.example":"x"}}
            """
        let parsed = try ParsedManifest(bytes: Array(json.utf8), contentType: MediaType.ociManifest)
        #expect(parsed.artifactType == "application/vnd.example.sbom")
        #expect(parsed.subject?.digest.string == Self.child)
        #expect(parsed.annotations == ["org.example": "x"])
    }

    @Test func parsesIndexAndDockerList() throws {
        for type in [MediaType.ociIndex, MediaType.dockerManifestList] {
            let json = """
                {"schemaVersion":2,"mediaType":"\(type)","manifests":[{"mediaType":"\(MediaType.ociManifest)",\
                "digest":"\(Self.child)","size":5,
                "platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}
                """
            let parsed = try ParsedManifest(bytes: Array(json.utf8), contentType: type)
            #expect(parsed.kind == .index)
            #expect(parsed.manifests.first?.platform?.description == "linux/arm64/v8")
        }
    }

    @Test func nonDistributableLayersAreNotRequired() throws {
        let json = Self.image().replacingOccurrences(
            of: "application/vnd.oci.image.layer.v1.tar+gzip",
            with: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")
        let parsed = try ParsedManifest(bytes: Array(json.utf8), contentType: nil)
        #expect(parsed.requiredBlobs.count == 1)
        #expect(parsed.blobs.count == 2)
    }

    @Test(arguments: [
        ("not json", MediaType.ociManifest),
        (image(), MediaType.ociIndex),
        (image(mediaType: nil), "application/octet-stream"),
        ("{\"schemaVersion\":1,\"name\":\"x\"}", MediaType.dockerSchema1Signed),
        ("{\"schemaVersion\":2,\"mediaType\":\"\(MediaType.ociManifest)\",\"layers\":[]}", MediaType.ociManifest),
        ("{\"schemaVersion\":2,\"mediaType\":\"\(MediaType.ociIndex)\"}", MediaType.ociIndex),
        (
            image(extra: ",\"subject\":{\"mediaType\":\"x\",\"digest\":\"sha256:nope\",\"size\":1}"),
            MediaType.ociManifest
        ),
        (image().replacingOccurrences(of: "\"size\":10", with: "\"size\":-1"), MediaType.ociManifest),
        (image().replacingOccurrences(of: "\"size\":10", with: "\"size\":\"10\""), MediaType.ociManifest),
    ])
    func rejects(json: String, contentType: String) {
        do {
            _ = try ParsedManifest(bytes: Array(json.utf8), contentType: contentType)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.code == .manifestInvalid)
        }
    }

    /// What clients would read differently from what the registry checked is refused, naming why.
    @Test func refusesDuplicateKeysUTF16AndByteOrderMarks() throws {
        let missing = "sha256:" + String(repeating: "f", count: 64)
        let duplicateLayers = Self.image(
            extra:
                #","layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(missing)","size":1}]"#)
        let utf16 = Array(Self.image().utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let cases: [([UInt8], String)] = [
            (Array(duplicateLayers.utf8), #"layers: the key "layers" appears twice"#),
            ([0xEF, 0xBB, 0xBF] + Array(Self.image().utf8), "byte-order mark"),
            ([0xFF, 0xFE] + utf16, "UTF-16"),
            (
                Array(Self.image().replacingOccurrences(of: #""size":2}"#, with: #""size":2,"size":3}"#).utf8),
                "config.size"
            ),
        ]
        for (bytes, mentions) in cases {
            do {
                _ = try ParsedManifest(bytes: bytes, contentType: MediaType.ociManifest)
                Issue.record("accepted: \(mentions)")
            } catch {
                #expect(error.code == .manifestInvalid && error.message.contains(mentions), "\(error.message)")
            }
        }
    }

    @Test func errorBodyShape() throws {
        let body = ErrorResponse(.blobUnknown, message: "blob unknown to registry")
        #expect(body.errors.first?.code == "BLOB_UNKNOWN")
    }
}
