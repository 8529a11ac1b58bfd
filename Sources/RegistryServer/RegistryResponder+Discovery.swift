import Hummingbird
import OCI
import RegistryStore

extension RegistryResponder {
    private struct TagList: Encodable {
        let name: String
        let tags: [String]
    }

    private struct Catalog: Encodable {
        let repositories: [String]
    }

    /// `GET /v2/<name>/tags/list?n=&last=`, with a `Link` to the next page when there is one.
    /// The reply names the repository as the client did; `stored` is where it is kept.
    func tags(_ name: RepositoryName, stored: RepositoryName, _ request: Request) async throws -> Response {
        let (limit, last) = try pagination(request)
        // One extra row tells whether another page follows.
        guard var tags = try await store.tags(repository: stored, after: last, limit: (limit ?? Int.max - 1) + 1) else {
            throw StoreError(.nameUnknown, "repository \(name) is unknown")
        }
        var headers: HTTPFields = [:]
        if let limit, tags.count > limit {
            tags.removeLast(tags.count - limit)
            if let lastTag = tags.last {
                // `ns` resolved, so it is the host of an upstream: safe to repeat in a URL.
                let namespace = request.uri.queryParameters.get("ns").map { "&ns=\($0)" } ?? ""
                headers[.link] = "</v2/\(name)/tags/list?n=\(limit)&last=\(lastTag)\(namespace)>; rel=\"next\""
            }
        }
        return try .json(encoding: TagList(name: name.value, tags: tags), headers: headers)
    }

    /// `GET /v2/_catalog?n=&last=`.
    func catalog(_ request: Request) async throws -> Response {
        let (limit, last) = try pagination(request)
        let pageSize = limit ?? 1000
        var names = try await store.repositories(after: last, limit: pageSize + 1)
        var headers: HTTPFields = [:]
        if names.count > pageSize {
            names.removeLast(names.count - pageSize)
            if let lastName = names.last {
                headers[.link] = "</v2/_catalog?n=\(pageSize)&last=\(lastName)>; rel=\"next\""
            }
        }
        return try .json(encoding: Catalog(repositories: names), headers: headers)
    }

    /// `GET /v2/<name>/referrers/<digest>?artifactType=`: always an index, empty when nothing refers.
    func referrers(_ name: RepositoryName, _ rawDigest: String, _ request: Request) async throws -> Response {
        let subject = try Digest(rawDigest)
        let artifactType = request.uri.queryParameters.get("artifactType")
        let descriptors = try await store.referrers(repository: name, subject: subject, artifactType: artifactType)
        var headers: HTTPFields = [:]
        if artifactType != nil {
            headers[.ociFiltersApplied] = "artifactType"
        }
        return try .json(
            encoding: ImageIndex(manifests: descriptors), contentType: MediaType.ociIndex, headers: headers)
    }

    private func pagination(_ request: Request) throws -> (limit: Int?, last: String?) {
        let query = request.uri.queryParameters
        var limit: Int?
        if let raw = query.get("n") {
            guard let n = Int(raw), n >= 0 else {
                throw RegistryError(
                    .badRequest, .unsupported, "n must be a non-negative integer, not '\(raw.prefix(50))'")
            }
            limit = n
        }
        return (limit, query.get("last"))
    }
}
