import OCI

/// An image as a pod names it (`nginx`, `library/nginx:1.27`, `ghcr.io/org/app@sha256:…`,
/// `registry.local:5000/team/app:2`), normalised as container runtimes do: no registry means
/// Docker Hub (`docker.io`), where a one-part name is under `library/`; `index.docker.io` is
/// `docker.io`. The first part is a registry only when it holds a `.` or `:`, is `localhost`,
/// or has capitals (a repository never has).
///
/// Reference: distribution/reference `normalize.go` (`splitDockerDomain`) and `regexp.go`.
public struct ImageName: Sendable, Equatable, CustomStringConvertible {
    /// `docker.io`, `ghcr.io`, `registry.local:5000`, lowercased.
    public let registry: String
    public let repository: RepositoryName
    public let tag: Tag?
    public let digest: Digest?

    public static let dockerHub = "docker.io"

    public init(parsing raw: String) throws(ImageNameError) {
        guard !raw.isEmpty, raw.utf8.count <= 1024, raw.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw ImageNameError("'\(raw.prefix(80))' is not an image name")
        }
        var rest = Substring(raw)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            do { digest = try Digest(String(rest[rest.index(after: at)...])) } catch {
                throw ImageNameError("'\(raw.prefix(80))': the digest is not valid")
            }
            rest = rest[..<at]
        }
        var tag: Tag?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            do { tag = try Tag(String(rest[rest.index(after: colon)...])) } catch {
                throw ImageNameError("'\(raw.prefix(80))': the tag is not valid")
            }
            rest = rest[..<colon]
        }
        var registry = Self.dockerHub
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(where: { $0 == "." || $0 == ":" }) || first == "localhost" || first.lowercased() != first
            {
                guard Self.isRegistry(first) else {
                    throw ImageNameError("'\(raw.prefix(80))': '\(first.prefix(80))' is not a registry host")
                }
                registry = first.lowercased()
                rest = rest[rest.index(after: slash)...]
            }
        }
        if registry == "index.docker.io" { registry = Self.dockerHub }
        var path = String(rest)
        if registry == Self.dockerHub && !path.contains("/") { path = "library/" + path }
        do {
            repository = try RepositoryName(path)
        } catch {
            throw ImageNameError("'\(raw.prefix(80))': '\(path.prefix(80))' is not a repository name")
        }
        self.registry = registry
        self.tag = tag
        self.digest = digest
    }

    /// Runtimes pull `latest` when a name has neither tag nor digest.
    public var effectiveTag: Tag? {
        tag ?? (digest == nil ? try? Tag("latest") : nil)
    }

    public var description: String {
        "\(registry)/\(repository)" + (tag.map { ":\($0)" } ?? "") + (digest.map { "@\($0)" } ?? "")
    }

    /// `host`, `host:port` or `[v6]:port`: letters, digits, dots and dashes, a port of digits.
    static func isRegistry(_ text: Substring) -> Bool {
        var host = text
        if let colon = text.lastIndex(of: ":"), !text.hasSuffix("]") {
            let port = text[text.index(after: colon)...]
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isNumber) else { return false }
            host = text[..<colon]
        }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            return host.dropFirst().dropLast().allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        return !host.isEmpty && host.count <= 253
            && host.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
            && !host.hasPrefix("-") && !host.hasPrefix(".")
    }
}

/// A name no runtime would pull.
public struct ImageNameError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
