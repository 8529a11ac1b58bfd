/// Where a proxy client asked to go: a host (lower-case; an IPv6 literal without brackets) and a
/// port, from a `CONNECT host:port` line or a plain request's `Host`.
public struct ProxyTarget: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host.lowercased()
        self.port = port
    }

    /// `host:port`, brackets around an IPv6 literal.
    public var description: String { "\(bracketedHost):\(port)" }

    /// The host as a URL or an image reference writes it.
    public var bracketedHost: String { host.contains(":") ? "[\(host)]" : host }

    /// Reads an authority (`host:port`, `[v6]:port`, or without a port `defaultPort`); nil
    /// unless the host is a DNS name, an IPv4 literal or a bracketed IPv6 literal and the port is
    /// 1…65535.
    public init?<Bytes: Collection<UInt8>>(authority: Bytes, defaultPort: Int?) {
        let text = String(decoding: authority, as: UTF8.self)
        guard !text.isEmpty, text.utf8.count <= 262 else { return nil }
        var host: Substring
        var port: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                port = rest.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            host = parts[0]
            port = parts.count == 2 ? parts[1] : nil
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            let valid = labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                    && label.utf8.allSatisfy { Self.isHostByte($0) }
            }
            guard !host.isEmpty, host.utf8.count <= 253, valid else { return nil }
        }
        let number: Int
        if let port {
            guard (1...5).contains(port.utf8.count), port.utf8.allSatisfy({ (48...57).contains($0) }),
                let parsed = Int(port), (1...65535).contains(parsed)
            else { return nil }
            number = parsed
        } else {
            guard let defaultPort else { return nil }
            number = defaultPort
        }
        self.init(host: String(host), port: number)
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        (97...122).contains(byte) || (65...90).contains(byte) || (48...57).contains(byte) || byte == 45 || byte == 95
    }
}

/// The first request line a proxy client sent, read before anything else touches the bytes: a
/// `CONNECT` names its target; anything else is handed whole to the HTTP server.
package enum ProxyRequestHead: Equatable {
    case connect(ProxyTarget)
    case request

    /// Longest head a client may send before it is refused (431).
    package static let maximumBytes = 16 * 1024

    /// Why a head cannot be served.
    package enum Refusal: Error, Equatable {
        case malformed(String)
        case tooLarge
    }

    /// The head in `bytes` once its blank line has arrived; nil while it may still be coming.
    package static func parse(_ bytes: [UInt8]) throws(Refusal) -> (head: ProxyRequestHead, length: Int)? {
        guard let end = endOfHead(bytes) else {
            if bytes.count > maximumBytes { throw .tooLarge }
            // A request line that is already wrong need not wait for the rest.
            if let lineEnd = bytes.firstIndex(of: 10) { _ = try requestLine(bytes[..<lineEnd]) }
            return nil
        }
        guard end <= maximumBytes else { throw .tooLarge }
        guard let lineEnd = bytes.firstIndex(of: 10) else { throw .malformed("no request line") }
        return (try requestLine(bytes[..<lineEnd]), end)
    }

    private static func requestLine(_ raw: ArraySlice<UInt8>) throws(Refusal) -> ProxyRequestHead {
        let line = raw.last == 13 ? raw.dropLast() : raw
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy({ (65...90).contains($0) }) else {
            throw .malformed("the request line is not METHOD TARGET HTTP/1.x")
        }
        guard parts[2].elementsEqual("HTTP/1.1".utf8) || parts[2].elementsEqual("HTTP/1.0".utf8) else {
            throw .malformed("only HTTP/1.0 and HTTP/1.1 are spoken")
        }
        guard parts[1].allSatisfy({ (33...126).contains($0) }) else {
            throw .malformed("the request target has bytes that are not printable ASCII")
        }
        guard parts[0].elementsEqual("CONNECT".utf8) else { return .request }
        guard let target = ProxyTarget(authority: parts[1], defaultPort: nil) else {
            throw .malformed("CONNECT names host:port, a DNS name or an IP address and a port 1-65535")
        }
        return .connect(target)
    }

    /// The length of the head through its blank line (CRLF CRLF, or LF LF as lenient servers read).
    private static func endOfHead(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 10 {
                if index + 1 < bytes.count, bytes[index + 1] == 10 { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == 13, bytes[index + 2] == 10 { return index + 3 }
            }
            index += 1
        }
        return nil
    }
}
