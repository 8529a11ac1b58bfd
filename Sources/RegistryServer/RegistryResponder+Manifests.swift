import Hummingbird
import OCI
import RegistryStore

extension RegistryResponder {
    /// A manifest read. What the store lacks is fetched on demand where the rules allow, and every
    /// request the store could not answer at once is told to the demand log with its outcome.
    func getManifest(
        _ asked: RepositoryName, _ rawReference: String, _ request: Request, head: Bool
    ) async throws
        -> Response
    {
        // A reference that could never have been pushed names no manifest: 404, as the
        // distribution spec's conformance suite expects, not 400.
        guard let reference = try? Reference(rawReference) else {
            throw RegistryError(
                .notFound, .manifestUnknown,
                "manifest '\(rawReference.prefix(100))' is unknown: it is neither a valid tag nor a digest")
        }
        let resolution = namespaces.resolve(asked, namespace: request.uri.queryParameters.get("ns"))
        guard case .repository(let name) = resolution else {
            var host: String?
            if case .unknownNamespace(let named) = resolution { host = named }
            demand.asked(UnheldManifest(repository: asked, reference: reference, unknownHost: host, outcome: .notFound))
            throw RegistryError(resolution) ?? RegistryError(.notFound, .nameUnknown, "\(asked) is unknown here")
        }
        if case .tag(let tag) = reference { await onDemand.refresh(name, tag: tag) }
        do {
            return try await readManifest(name, reference, head: head, held: true)
        } catch let miss as StoreError where miss.isMiss {
            func tell(_ outcome: UnheldManifest.Outcome) {
                demand.asked(UnheldManifest(repository: name, reference: reference, outcome: outcome))
            }
            let result: OnDemandManifest
            do {
                result = try await onDemand.fetchManifest(name, reference: reference)
            } catch {
                tell(error is OnDemandRefusal ? .denied : error is OnDemandDeferred ? .deferred : .unavailable)
                throw error
            }
            switch result {
            case .fetched: tell(.fetched)
            case .unavailable: tell(.unavailable)
            case .notFetchable: tell(.notFound)
            }
            guard result == .fetched else { throw miss }
            return try await readManifest(name, reference, head: head, held: false)
        }
    }

    /// `held`: the store had it at the first try (counted as served from the store).
    private func readManifest(
        _ name: RepositoryName, _ reference: Reference, head: Bool, held: Bool
    ) async throws -> Response {
        if head {
            let info = try await store.manifestInfo(repository: name, reference: reference)
            if held { onDemand.servedHeld(name, manifest: info.digest, bytes: 0) }
            return Response(
                status: .ok,
                headers: [
                    .contentType: info.mediaType, .contentLength: String(info.size),
                    .dockerContentDigest: info.digest.string, .eTag: "\"\(info.digest)\"",
                ],
                body: ResponseBody())
        }
        let manifest = try await store.manifest(repository: name, reference: reference)
        metrics.sent(manifest.size)
        if held { onDemand.servedHeld(name, manifest: manifest.digest, bytes: manifest.size) }
        return Response(
            status: .ok,
            headers: [
                .contentType: manifest.mediaType, .dockerContentDigest: manifest.digest.string,
                .eTag: "\"\(manifest.digest)\"",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: manifest.bytes)))
    }

    func putManifest(_ name: RepositoryName, _ rawReference: String, _ request: Request) async throws -> Response {
        let reference = try Reference(rawReference)
        let limit = store.options.maxManifestBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw StoreError(.tooLarge, "manifest of \(declared) bytes exceeds the \(limit)-byte limit")
        }
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= limit else {
                throw StoreError(.tooLarge, "manifest exceeds the \(limit)-byte limit")
            }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        metrics.received(Int64(bytes.count))
        let result = try await store.putManifest(
            repository: name, reference: reference, bytes: bytes, contentType: request.headers[.contentType])
        var headers: HTTPFields = [
            .location: "/v2/\(name)/manifests/\(result.digest)",
            .dockerContentDigest: result.digest.string,
        ]
        if let subject = result.subject {
            headers[.ociSubject] = subject.string
        }
        return .empty(.created, headers: headers)
    }

    /// Deleting by digest removes the manifest and its tags; by tag, only the tag.
    func deleteManifest(_ name: RepositoryName, _ rawReference: String) async throws -> Response {
        switch try Reference(rawReference) {
        case .digest(let digest): try await store.deleteManifest(repository: name, digest: digest)
        case .tag(let tag): try await store.deleteTag(repository: name, tag: tag)
        }
        return .empty(.accepted)
    }
}
