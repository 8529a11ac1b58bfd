/// A tag in a repository, as plain strings.
public struct TagReference: Hashable, Sendable {
    public let repository: String
    public let tag: String
    public init(repository: String, tag: String) {
        self.repository = repository
        self.tag = tag
    }
}

/// A manifest in a repository, as plain strings.
public struct ManifestReference: Hashable, Sendable {
    public let repository: String
    public let digest: String
    public init(repository: String, digest: String) {
        self.repository = repository
        self.digest = digest
    }
}
