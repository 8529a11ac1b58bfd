/// A parsed `WWW-Authenticate` challenge: the scheme and its parameters.
///
/// Spec: RFC 9110 §11.6.1; the Bearer flow of the Docker token specification
/// (https://distribution.github.io/distribution/spec/auth/token/).
package struct AuthChallenge: Equatable, Sendable {
    package enum Scheme: Equatable, Sendable {
        case basic
        case bearer
    }

    package let scheme: Scheme
    package let parameters: [String: String]

    package var realm: String? { parameters["realm"] }
    package var service: String? { parameters["service"] }
    package var scope: String? { parameters["scope"] }

    /// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`; nil for other schemes.
    package init?(header: String) {
        let trimmed = header.drop(while: { $0 == " " })
        guard let space = trimmed.firstIndex(of: " ") ?? (trimmed.isEmpty ? nil : trimmed.endIndex) else { return nil }
        switch trimmed[..<space].lowercased() {
        case "basic": scheme = .basic
        case "bearer": scheme = .bearer
        default: return nil
        }
        var parameters: [String: String] = [:]
        var rest = trimmed[space...]
        while true {
            rest = rest.drop(while: { $0 == " " || $0 == "," })
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingSpaces.lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let c = rest.first, c != "\"" {
                    if c == "\\", let next = rest.dropFirst().first {
                        value.append(next)
                        rest = rest.dropFirst(2)
                    } else {
                        value.append(c)
                        rest = rest.dropFirst()
                    }
                }
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingSpaces
                rest = rest[end...]
            }
            parameters[key] = value
        }
        self.parameters = parameters
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
