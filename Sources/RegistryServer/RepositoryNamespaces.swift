import HTTPTypes
import OCI

/// Maps the repository a client names to the one the store keeps it under.
///
/// A plain registry keeps names as they are. A satellite keeps each upstream's content under
/// that upstream's name and resolves what a runtime's mirror request names (DESIGN.md §5.2).
public protocol RepositoryNamespaces: Sendable {
    /// Resolves `name`, with the registry host the client pulls for when it said (`?ns=`).
    func resolve(_ name: RepositoryName, namespace: String?) -> NamespaceResolution
}

/// What a requested name resolves to.
public enum NamespaceResolution: Sendable, Equatable {
    /// Read from this repository.
    case repository(RepositoryName)
    /// `ns` names a registry this one holds nothing from.
    case unknownNamespace(String)
    /// The plain name is held from several upstreams; the client must say which.
    case ambiguous(RepositoryName, upstreams: [String])
}

/// Names are what they say: the plain registry of `satellite serve`.
public struct FlatNamespaces: RepositoryNamespaces {
    public init() {}

    public func resolve(_ name: RepositoryName, namespace: String?) -> NamespaceResolution { .repository(name) }
}

extension RegistryError {
    /// The error a resolution that names no repository answers with.
    init?(_ resolution: NamespaceResolution) {
        switch resolution {
        case .repository:
            return nil
        case .unknownNamespace(let host):
            self.init(.notFound, .nameUnknown, "this registry mirrors nothing from \(host.prefix(200))")
        case .ambiguous(let name, let upstreams):
            let choices = upstreams.map { "/v2/\($0)/\(name)/…" }.joined(separator: " or ")
            self.init(
                .notFound, .nameUnknown,
                "\(name) is held from several upstreams; name one: \(choices), or ?ns=<registry host>")
        }
    }
}
