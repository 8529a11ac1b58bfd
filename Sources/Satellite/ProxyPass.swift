import HTTPServerSupport
import OCI

/// The hosts the HTTPS proxy tunnels to untouched (`--proxy-pass`): glob patterns over host
/// names (`*` any run of characters, dots included; `?` one), each with a port or `*`, port 443
/// when none is written. `*.ubuntu.com`, `github.com`, `10.0.0.?:8443`.
public struct ProxyPass: Sendable, Equatable {
    struct Pattern: Sendable, Equatable {
        let host: String
        /// nil: any port.
        let port: Int?
    }

    let patterns: [Pattern]

    public static let none = ProxyPass(patterns: [])

    /// Reads the patterns; an error names the one that is not `host-glob[:port|:*]`.
    public init(_ raw: [String]) throws(ProxyPassError) {
        patterns = try raw.map { text throws(ProxyPassError) in
            let lowered = text.lowercased()
            let parts = lowered.split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].utf8.count <= 253,
                parts[0].utf8.allSatisfy(Self.isPatternByte)
            else { throw ProxyPassError(pattern: text) }
            var port: Int? = 443
            if parts.count == 2 {
                if parts[1] == "*" {
                    port = nil
                } else {
                    guard parts[1].utf8.count <= 5, let number = Int(parts[1]), (1...65535).contains(number) else {
                        throw ProxyPassError(pattern: text)
                    }
                    port = number
                }
            }
            return Pattern(host: String(parts[0]), port: port)
        }
    }

    private init(patterns: [Pattern]) {
        self.patterns = patterns
    }

    /// Whether a `CONNECT` to `target` may be tunnelled.
    public func allows(_ target: ProxyTarget) -> Bool {
        patterns.contains { pattern in
            (pattern.port == nil || pattern.port == target.port) && Glob.matches(pattern.host, target.host)
        }
    }

    private static func isPatternByte(_ byte: UInt8) -> Bool {
        (97...122).contains(byte) || (48...57).contains(byte) || byte == 45 || byte == 46 || byte == 42 || byte == 63
            || byte == 95
    }
}

/// A `--proxy-pass` pattern that cannot be read.
public struct ProxyPassError: Error, Equatable, CustomStringConvertible {
    public let pattern: String

    public var description: String {
        "proxy-pass: '\(pattern.prefix(100))' is not HOST-GLOB[:PORT|:*] (letters, digits, '-', '.', '_', '*', '?')"
    }
}
