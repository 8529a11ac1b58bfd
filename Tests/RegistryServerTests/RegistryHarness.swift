import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import OCI
import RegistryServer
import RegistryStore
import TestSupport
import Testing

/// A registry on a fresh temporary store, served on a loopback socket. Always over a real
/// connection: blob bodies are written straight into the connection's channel (`BlobSender`),
/// which Hummingbird's in-process router mode does not provide. Requests go through
/// AsyncHTTPClient with a generous deadline: Hummingbird's test clients give up after 15–20 s,
/// which a push can outlast when the whole suite loads the machine.
struct RegistryHarness {
    let port: Int
    let store: RegistryStore
    /// The store's directory.
    let directory: String

    /// What a request got back.
    struct Response {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer
    }

    private static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    /// Runs `body` against a new registry; the store's directory is removed afterwards.
    static func run(
        options: RegistryStore.Options = RegistryStore.Options(),
        eventLoopGroup: EventLoopGroupProvider = .singleton,
        namespaces: any RepositoryNamespaces = FlatNamespaces(), onDemand: any ContentOnDemand = NoContentOnDemand(),
        demand: any DemandLog = NoDemandLog(),
        _ body: @Sendable (RegistryHarness) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "registry-test-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let store = try RegistryStore(directory: directory, options: options, logger: logger)
        var configuration = RegistryServer.Configuration(host: "127.0.0.1", port: 0)
        // The test client opens its connection at once and may first use it only after slow
        // setup on a loaded machine; the timeouts themselves are tested on the programs.
        configuration.limits.headerTimeout = .seconds(600)
        configuration.limits.idleTimeout = .seconds(600)
        let app = try RegistryServer.makeApplication(
            store: store, metrics: RegistryMetrics(), configuration: configuration, logger: logger,
            namespaces: namespaces, onDemand: onDemand, demand: demand, eventLoopGroup: eventLoopGroup)
        try await app.test(.live) { client in
            try await body(RegistryHarness(port: try #require(client.port), store: store, directory: directory))
        }
    }

    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: [UInt8]? = nil
    ) async throws -> Response {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(uri)")
        request.method = .init(rawValue: method.rawValue)
        for field in headers where !(body != nil && field.name == .contentLength) {
            request.headers.add(name: field.name.rawName, value: field.value)
        }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await Self.client.execute(request, timeout: .seconds(120))
        var fields = HTTPFields()
        for header in response.headers {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        let collected = try await response.body.collect(upTo: 256 * 1024 * 1024)
        return Response(status: .init(code: Int(response.status.code)), headers: fields, body: collected)
    }

    /// Pushes a blob with POST then PUT and returns its digest.
    @discardableResult
    func pushBlob(_ repository: String, _ bytes: [UInt8]) async throws -> Digest {
        let digest = DigestHasher.digest(of: bytes)
        let start = try await request(.post, "/v2/\(repository)/blobs/uploads/")
        #expect(start.status == .accepted)
        let location = try #require(start.headers[.location])
        let put = try await request(.put, "\(location)?digest=\(digest)", body: bytes)
        #expect(put.status == .created)
        return digest
    }

    /// Puts a blob straight into the store, for tests about serving it: a push over HTTP can
    /// outlast the test client's fixed 20 s read timeout when the whole suite loads the machine.
    func storeBlob(_ repository: String, _ bytes: [UInt8]) async throws -> Digest {
        let digest = DigestHasher.digest(of: bytes)
        try await store.putBlob(repository: try RepositoryName(repository), digest: digest, body: ByteChunks(bytes))
        return digest
    }

    /// Pushes a manifest and returns its digest.
    @discardableResult
    func pushManifest(
        _ repository: String, _ reference: String, _ json: String, mediaType: String = MediaType.ociManifest
    ) async throws -> Digest {
        let response = try await request(
            .put, "/v2/\(repository)/manifests/\(reference)", headers: [.contentType: mediaType], body: Array(json.utf8)
        )
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try Digest(try #require(response.headers[.dockerContentDigest]))
    }

    /// Pushes a config and one layer, then an image manifest naming them; returns the manifest JSON.
    func pushImage(
        _ repository: String, tag: String, layer: String = "layer", extra: String = ""
    ) async throws -> (json: String, digest: Digest) {
        let config = Array("{\"architecture\":\"amd64\",\"os\":\"linux\"}".utf8)
        let configDigest = try await pushBlob(repository, config)
        let layerBytes = Array(layer.utf8)
        let layerDigest = try await pushBlob(repository, layerBytes)
        let json = Fixtures.imageManifest(
            config: (configDigest, config.count), layers: [(layerDigest, layerBytes.count)], extra: extra)
        let digest = try await pushManifest(repository, tag, json)
        return (json, digest)
    }

    /// Asserts an OCI error reply with a status and code.
    func expectError(
        _ response: Response, _ status: HTTPResponse.Status, _ code: ErrorCode,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(response.status == status, sourceLocation: sourceLocation)
        let body = try JSONDecoder().decode(ErrorResponse.self, from: Data(buffer: response.body))
        #expect(body.errors.first?.code == code.rawValue, "\(body)", sourceLocation: sourceLocation)
    }
}

enum Fixtures {
    static func imageManifest(
        config: (Digest, Int), layers: [(Digest, Int)], mediaType: String = MediaType.ociManifest,
        layerType: String = "application/vnd.oci.image.layer.v1.tar+gzip", extra: String = ""
    ) -> String {
        let layerList = layers.map { "{\"mediaType\":\"\(layerType)\",\"digest\":\"\($0.0)\",\"size\":\($0.1)}" }
            .joined(separator: ",")
        return """
            {"schemaVersion":2,"mediaType":"\(mediaType)",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(config.0)",\
            "size":\(config.1)},"layers":[\(layerList)]\(extra)}
            """
    }

    static func bytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }
}
