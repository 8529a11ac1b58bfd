import OCI

/// Where the store keeps things under its data directory (DESIGN.md §5.1).
///
/// Every path is built from a validated `Digest` or an `UploadID` the store made, never from raw input.
package struct StoreLayout: Sendable {
    let root: String

    var blobsDirectory: String { root + "/blobs" }
    var uploadsDirectory: String { root + "/uploads" }
    var databasePath: String { root + "/registry.sqlite" }

    func algorithmDirectory(_ algorithm: Digest.Algorithm) -> String {
        blobsDirectory + "/" + algorithm.rawValue
    }

    func blobDirectory(_ digest: Digest) -> String {
        algorithmDirectory(digest.algorithm) + "/" + String(digest.encoded.prefix(2))
    }

    package func blobPath(_ digest: Digest) -> String {
        blobDirectory(digest) + "/" + digest.encoded
    }

    func uploadPath(_ id: UploadID) -> String {
        uploadsDirectory + "/" + id.value
    }

    /// Creates the directory skeleton, including every two-hex-digit fan-out directory, so that a
    /// blob commit never has to create one.
    func create() throws(StoreError) {
        try FileSystem.makeDirectory(root)
        try FileSystem.makeDirectory(blobsDirectory)
        try FileSystem.makeDirectory(uploadsDirectory)
        let hex = Array("0123456789abcdef")
        for algorithm in Digest.Algorithm.allCases {
            let directory = algorithmDirectory(algorithm)
            try FileSystem.makeDirectory(directory)
            for a in hex {
                for b in hex {
                    try FileSystem.makeDirectory(directory + "/" + String(a) + String(b))
                }
            }
        }
    }
}
