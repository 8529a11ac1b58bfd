import OCI

/// A desired state that breaks a rule the types alone cannot express, naming the field.
public struct DesiredStateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field path, such as `artifacts[2].upstream`.
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

extension DesiredState {
    /// Checks the rules across fields: known schema version, unique upstream names with usable
    /// URLs, artifacts naming a known upstream and a tag or digest, and parseable platforms.
    public func validate() throws(DesiredStateError) {
        guard schemaVersion == Self.currentSchemaVersion else {
            throw DesiredStateError(
                field: "schemaVersion", "must be \(Self.currentSchemaVersion), not \(schemaVersion)")
        }
        guard generation >= 0 else {
            throw DesiredStateError(field: "generation", "must not be negative")
        }
        var names = Set<String>()
        for (index, upstream) in upstreams.enumerated() {
            let field = "upstreams[\(index)]"
            // The name opens the path its content is kept and served under (`/v2/<name>/<repository>`).
            guard upstream.name.utf8.count <= 63, RepositoryName.isValidComponent(upstream.name) else {
                throw DesiredStateError(
                    field: field + ".name",
                    """
                    must be 1 to 63 lower-case letters and digits, joined by '.', '_', '__' or '-' (it opens \
                    repository paths), not '\(upstream.name.prefix(100))'
                    """
                )
            }
            guard names.insert(upstream.name).inserted else {
                throw DesiredStateError(field: field + ".name", "'\(upstream.name)' is listed twice")
            }
            guard upstream.url.hasPrefix("http://") || upstream.url.hasPrefix("https://"),
                upstream.url.split(separator: "/", omittingEmptySubsequences: true).count >= 2
            else {
                throw DesiredStateError(
                    field: field + ".url", "must be an http:// or https:// URL, not '\(upstream.url.prefix(200))'")
            }
            if upstream.password != nil && upstream.passwordFile != nil {
                throw DesiredStateError(field: field + ".passwordFile", "give password or passwordFile, not both")
            }
            if (upstream.password != nil || upstream.passwordFile != nil) && upstream.username == nil {
                throw DesiredStateError(field: field + ".username", "is required with a password")
            }
        }
        var proxied = Set<String>()
        for (index, rule) in (proxy ?? []).enumerated() {
            let field = "proxy[\(index)]"
            guard names.contains(rule.upstream) else {
                throw DesiredStateError(field: field + ".upstream", "'\(rule.upstream)' is not among the upstreams")
            }
            guard proxied.insert(rule.upstream).inserted else {
                throw DesiredStateError(
                    field: field + ".upstream",
                    "'\(rule.upstream)' has a rule already; list all its repositories in one")
            }
            guard !rule.repositories.isEmpty else {
                throw DesiredStateError(field: field + ".repositories", "must allow at least one repository pattern")
            }
            if let ttl = rule.tagTTL, !(0...31_536_000).contains(ttl) {
                throw DesiredStateError(field: field + ".tagTTL", "must be 0 to 31536000 seconds, not \(ttl)")
            }
            try rule.verification?.validate(field: field + ".verification")
        }
        try validateSite()
        try verification?.validate(field: "verification")
        for (index, artifact) in artifacts.enumerated() {
            let field = "artifacts[\(index)]"
            guard names.contains(artifact.upstream) else {
                throw DesiredStateError(field: field + ".upstream", "'\(artifact.upstream)' is not among the upstreams")
            }
            guard artifact.tag != nil || artifact.digest != nil else {
                throw DesiredStateError(field: field, "needs a tag, a digest, or both")
            }
            for (platformIndex, platform) in (artifact.platforms ?? []).enumerated() {
                do {
                    _ = try Platform(parsing: platform)
                } catch {
                    throw DesiredStateError(field: "\(field).platforms[\(platformIndex)]", error.message)
                }
            }
            try artifact.verification?.validate(field: field + ".verification")
        }
    }

    /// The rule for an upstream's pull-through, if it has one.
    public func proxyRule(for upstream: String) -> ProxyRule? {
        proxy?.first { $0.upstream == upstream }
    }

    /// The upstream an artifact names (present once `validate()` passed).
    public func upstream(named name: String) -> Upstream? {
        upstreams.first { $0.name == name }
    }
}
