// Pushes images into a store forever, printing "committed <tag> <digest>" after each manifest
// commit returns. The crash test kills it with SIGKILL at arbitrary moments and then checks
// that every printed commit survived and that the store holds no partial blob.
import Foundation
import OCI
import RegistryStore
import TestSupport

let arguments = CommandLine.arguments
guard arguments.count == 3, let first = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: store-crash-helper <data-dir> <first-index>\n".utf8))
    exit(2)
}
let store = try RegistryStore(directory: arguments[1])
let repository = try RepositoryName("crash/test")
let config = Array("{\"architecture\":\"amd64\",\"os\":\"linux\"}".utf8)
let configDigest = DigestHasher.digest(of: config)
try await store.putBlob(repository: repository, digest: configDigest, body: ByteChunks(config))

var index = first
while true {
    // Layers from 1 KiB to 4 MiB so that kills land in every phase of a write.
    let size = 1024 << (index % 13)
    let layer = patternBytes(size, seed: UInt64(index))
    let layerDigest = DigestHasher.digest(of: layer)
    if index % 3 == 0 {
        // A chunked upload, left unfinished every other time: debris for the sweep.
        let id = try await store.startUpload(repository: repository)
        let half = layer.count / 2
        _ = try await store.appendToUpload(repository: repository, id: id, expectedStart: 0, body: ByteChunks(Array(layer[..<half])))
        if index % 2 == 0 {
            try await store.finishUpload(repository: repository, id: id, digest: layerDigest, body: ByteChunks(Array(layer[half...])))
        } else {
            try await store.putBlob(repository: repository, digest: layerDigest, body: ByteChunks(layer))
        }
    } else {
        try await store.putBlob(repository: repository, digest: layerDigest, body: ByteChunks(layer))
    }
    let manifest = """
    {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":"\(MediaType.ociConfig)","digest":"\(configDigest)","size":\(config.count)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(layerDigest)","size":\(layer.count)}]}
    """
    let tag = try Tag("t\(index)")
    let result = try await store.putManifest(repository: repository, reference: .tag(tag), bytes: Array(manifest.utf8), contentType: MediaType.ociManifest)
    FileHandle.standardOutput.write(Data("committed \(tag) \(result.digest)\n".utf8))
    index += 1
}
