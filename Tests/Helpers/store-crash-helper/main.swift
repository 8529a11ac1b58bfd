// Pushes images into a store forever, printing "committed <tag> <digest>" after each manifest
// commit returns. The crash test kills it with SIGKILL at arbitrary moments and then checks
// that every printed commit survived and that the store holds no partial blob.
// With "gc" as third argument it also leaves hundreds of unreferenced blobs behind each image and
// collects them at once (no grace), so kills land inside garbage collection too.
import Foundation
import Logging
import OCI
import RegistryStore
import TestSupport

let arguments = CommandLine.arguments
guard arguments.count >= 3, let first = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: store-crash-helper <data-dir> <first-index> [gc]\n".utf8))
    exit(2)
}
let collecting = arguments.count > 3 && arguments[3] == "gc"
var options = RegistryStore.Options()
if collecting { options.garbageGracePeriod = 0 }
var logger = Logger(label: "store-crash-helper")
logger.logLevel = .warning
let store = try RegistryStore(directory: arguments[1], options: options, logger: logger)
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
        _ = try await store.appendToUpload(
            repository: repository, id: id, expectedStart: 0, body: ByteChunks(Array(layer[..<half])))
        if index % 2 == 0 {
            try await store.finishUpload(
                repository: repository, id: id, digest: layerDigest, body: ByteChunks(Array(layer[half...])))
        } else {
            try await store.putBlob(repository: repository, digest: layerDigest, body: ByteChunks(layer))
        }
    } else {
        try await store.putBlob(repository: repository, digest: layerDigest, body: ByteChunks(layer))
    }
    let manifest = """
        {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":"\(MediaType.ociConfig)",\
        "digest":"\(configDigest)","size":\(config.count)},\
        "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(layerDigest)",\
        "size":\(layer.count)}]}
        """
    let tag = try Tag("t\(index)")
    let result = try await store.putManifest(
        repository: repository, reference: .tag(tag), bytes: Array(manifest.utf8), contentType: MediaType.ociManifest)
    FileHandle.standardOutput.write(Data("committed \(tag) \(result.digest)\n".utf8))
    if collecting {
        for junk in 0..<1000 {
            let bytes = patternBytes(512, seed: UInt64(index * 1000 + junk) | 1 << 40)
            try await store.putBlob(
                repository: repository, digest: DigestHasher.digest(of: bytes), body: ByteChunks(bytes))
        }
        // The kill lands inside a pass: a thread of this process sends it at a random instant
        // of the first pass, so no poll from outside has to catch the window.
        if index == first {
            let delay = Double.random(in: 0..<0.04)
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { kill(getpid(), SIGKILL) }
        }
        _ = try await store.collectGarbage()
    }
    index += 1
}
