import OCI

/// A repository name with wildcards, as proxy allow rules write them: `library/*` (one path
/// component), `apps/**` (any depth below `apps/`), `apps/web` (exactly that).
///
/// `*` matches any run of characters within one component, `**` any run of components
/// (at least one). Anything else must be what a repository name may hold.
public struct RepositoryPattern: Sendable, Hashable, ValidatedString, CustomStringConvertible {
    public let value: String
    private let components: [Substring]

    public init(_ raw: String) throws(OCIError) {
        guard !raw.isEmpty, raw.utf8.count <= RepositoryName.maxLength else {
            throw OCIError(.nameInvalid, "a repository pattern must be 1 to \(RepositoryName.maxLength) characters")
        }
        let parts = raw.split(separator: "/", omittingEmptySubsequences: false)
        for part in parts {
            let literal = String(part.map { $0 == "*" ? "a" : $0 })
            guard !part.isEmpty, part == "**" || !part.contains("**"),
                RepositoryName.isValidComponent(literal) || part.allSatisfy({ $0 == "*" })
            else {
                throw OCIError(
                    .nameInvalid,
                    """
                    '\(raw.prefix(100))' is not a repository pattern: components of lower-case letters and digits \
                    joined by '.', '_', '__' or '-', with '*' for any run of them and '**' for any number of \
                    components
                    """
                )
            }
        }
        value = raw
        components = parts
    }

    /// Whether `name` is allowed by this pattern.
    public func matches(_ name: RepositoryName) -> Bool {
        Self.match(components[...], name.value.split(separator: "/")[...])
    }

    private static func match(_ pattern: ArraySlice<Substring>, _ name: ArraySlice<Substring>) -> Bool {
        guard let head = pattern.first else { return name.isEmpty }
        if head == "**" {
            // One component or more, then the rest of the pattern.
            guard !name.isEmpty else { return false }
            return (name.startIndex + 1...name.endIndex).contains { match(pattern.dropFirst(), name[$0...]) }
        }
        guard let component = name.first, matchComponent(head, component) else { return false }
        return match(pattern.dropFirst(), name.dropFirst())
    }

    /// Glob within one component: `*` for any run of characters.
    private static func matchComponent(_ pattern: Substring, _ text: Substring) -> Bool {
        guard let star = pattern.firstIndex(of: "*") else { return pattern == text }
        let prefix = pattern[..<star]
        guard text.hasPrefix(prefix) else { return false }
        let rest = pattern[pattern.index(after: star)...]
        var candidate = text.dropFirst(prefix.count)
        while true {
            if matchComponent(rest, candidate) { return true }
            guard !candidate.isEmpty else { return false }
            candidate = candidate.dropFirst()
        }
    }

    public var description: String { value }

    public var text: String { value }
    public init(validating raw: String) throws(OCIError) { try self.init(raw) }

    public static func == (lhs: RepositoryPattern, rhs: RepositoryPattern) -> Bool { lhs.value == rhs.value }
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
