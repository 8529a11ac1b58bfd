import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import SatelliteProtocol

/// HTTP to Ground Control's API: what satctl, the satellite and the fleet simulator share.
/// Each call gives back the status, headers and body; callers decide what a status means.
public struct GroundControlClient: Sendable {
    public let baseURL: String
    private let http: HTTPClient
    /// TLS for this client's requests (what to trust, the certificate to present); nil for the
    /// HTTP client's own (the system's trust store, no certificate).
    public var tls: TLSConfiguration?

    /// - Parameter http: the client to send with (its lifetime is the caller's).
    public init(baseURL: String, http: HTTPClient = .shared, tls: TLSConfiguration? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.http = http
        self.tls = tls
    }

    /// TLS to Ground Control with the system's trust store: TLS 1.2 at least, as every client here.
    public static var systemTrust: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    /// TLS that trusts only the certificates in the PEM file `path` (`--ground-control-ca`,
    /// `satctl --ca`), as curl's `--cacert` does.
    public static func trusting(caFile path: String) throws -> TLSConfiguration {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TrustFileError(path: path, reason: "cannot be read as PEM certificates (\(error))")
        }
        guard !certificates.isEmpty else { throw TrustFileError(path: path, reason: "holds no certificate") }
        var tls = systemTrust
        tls.trustRoots = .certificates(certificates)
        return tls
    }

    /// A reply, whatever its status.
    public struct Reply: Sendable {
        public let status: Int
        /// Header names in lower case.
        public let headers: [String: String]
        public let body: Data

        public func decode<T: Decodable>(_ type: T.Type) throws -> T { try APIJSON.decoder().decode(type, from: body) }

        /// `CODE: message` from an API error body, or the start of the body.
        /// The API error's code (`UNAUTHORIZED`, `CERTIFICATE_REFUSED`, ...), when the body is one.
        public var errorCode: String? { (try? decode(APIErrorBody.self))?.code }

        public var errorMessage: String {
            (try? decode(APIErrorBody.self)).map { "\($0.code): \($0.message)" }
                ?? String(decoding: body.prefix(200), as: UTF8.self)
        }
    }

    /// Sends one request; `bearer` is the admin token or the satellite credential.
    public func send(
        _ method: String, _ path: String, bearer: String? = nil, headers: [String: String] = [:], body: Data? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        request.tlsConfiguration = tls
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await http.execute(
            request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
        let collected = try await response.body.collect(upTo: 64 << 20)
        var fields: [String: String] = [:]
        for (name, value) in response.headers { fields[name.lowercased()] = value }
        return Reply(status: Int(response.status.code), headers: fields, body: Data(buffer: collected))
    }

    /// `send` with a JSON-encoded body.
    public func send(
        _ method: String, _ path: String, bearer: String? = nil, json: some Encodable, timeout: Duration = .seconds(30)
    ) async throws -> Reply {
        try await send(method, path, bearer: bearer, body: try APIJSON.encoder().encode(json), timeout: timeout)
    }
}

/// A file of certificates to trust that cannot be used.
public struct TrustFileError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String { "the CA file \(path) \(reason)" }
}

extension TLSConfiguration {
    /// This configuration presenting a client certificate: the chain (DER, leaf first) and the
    /// private key (PEM) of a satellite's identity.
    public func presenting(chainDER: [[UInt8]], privateKeyPEM: String) throws -> TLSConfiguration {
        var tls = self
        tls.certificateChain = try chainDER.map { .certificate(try NIOSSLCertificate(bytes: $0, format: .der)) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem))
        return tls
    }
}
