import Foundation
import OCI

/// Which tags of a repository a group takes when it names no single tag: those matching a glob
/// (`tags: "1.*"`), those within a semantic-version range (`semver: ">=1.25 <2"`), and of what
/// remains the `latest` N most recently pushed artifacts. Each given filter narrows the others.
public struct TagSelection: Codable, Sendable, Equatable {
    /// `*` any run of characters, `?` one character; anything else as written.
    public var tags: String?
    /// Comparators joined by spaces, all of which a version must meet: `>=1.25 <2`, `=1.4.2`,
    /// `1.4` (exactly 1.4.0). Tags read as versions with an optional `v`, one to three numbers,
    /// and no pre-release part (`1.2.0-rc1` is never selected by a range).
    public var semver: String?
    /// Keep only the artifacts pushed most recently, this many (1 to 100).
    public var latest: Int?

    public init(tags: String? = nil, semver: String? = nil, latest: Int? = nil) {
        self.tags = tags
        self.semver = semver
        self.latest = latest
    }

    /// A tag a registry holds, with what it points at and when it was pushed.
    public struct Candidate: Sendable, Equatable {
        public var tag: String
        public var digest: String
        public var pushedAt: Date

        public init(tag: String, digest: String, pushedAt: Date) {
            self.tag = tag
            self.digest = digest
            self.pushedAt = pushedAt
        }
    }

    /// Whether any filter is given.
    public var isEmpty: Bool { tags == nil && semver == nil && latest == nil }

    /// Checks every filter, naming the field (`prefix.tags`, …) that is wrong.
    public func validate(field prefix: String) throws(GroundControlError) {
        if let tags {
            guard (1...128).contains(tags.utf8.count),
                tags.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F })
            else {
                throw GroundControlError(
                    .invalidField, "\(prefix).tags: must be 1 to 128 printable characters, not '\(tags.prefix(80))'")
            }
        }
        if let semver {
            do {
                _ = try SemverRange(semver)
            } catch {
                throw GroundControlError(.invalidField, "\(prefix).semver: \(error.message)")
            }
        }
        if let latest, !(1...100).contains(latest) {
            throw GroundControlError(.invalidField, "\(prefix).latest: must be 1 to 100, not \(latest)")
        }
    }

    /// The candidates the filters keep, newest first.
    public func select(_ candidates: [Candidate]) -> [Candidate] {
        let range = semver.flatMap { try? SemverRange($0) }
        var kept = candidates.filter { candidate in
            if let tags, !Self.glob(tags, matches: candidate.tag) { return false }
            if let range, !range.contains(tag: candidate.tag) { return false }
            return true
        }
        kept.sort { ($0.pushedAt, $0.tag) > ($1.pushedAt, $1.tag) }
        guard let latest else { return kept }
        // The newest artifacts, with every kept tag each carries.
        var digests: [String] = []
        for candidate in kept where !digests.contains(candidate.digest) {
            guard digests.count < latest else { break }
            digests.append(candidate.digest)
        }
        return kept.filter { digests.contains($0.digest) }
    }

    /// Glob match over whole strings: `*` any run, `?` one character.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        Glob.matches(pattern, text)
    }
}

/// A semantic version as tags write it: `v1`, `1.25`, `1.25.3`.
struct TagVersion: Comparable {
    let parts: [Int]

    /// nil for a tag that is not a plain release version.
    init?(_ text: String) {
        var body = Substring(text)
        if body.first == "v" || body.first == "V" { body = body.dropFirst() }
        if let plus = body.firstIndex(of: "+") { body = body[..<plus] }
        let numbers = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count) else { return nil }
        var parts: [Int] = []
        for number in numbers {
            guard !number.isEmpty, number.count <= 9, number.allSatisfy(\.isASCII), number.allSatisfy(\.isNumber),
                let value = Int(number)
            else {
                return nil
            }
            parts.append(value)
        }
        self.parts = parts + Array(repeating: 0, count: 3 - parts.count)
    }

    static func < (lhs: TagVersion, rhs: TagVersion) -> Bool { lhs.parts.lexicographicallyPrecedes(rhs.parts) }
}

/// Comparators a version must all meet.
struct SemverRange {
    enum Operator: String {
        case greaterOrEqual = ">="
        case lessOrEqual = "<="
        case greater = ">"
        case less = "<"
        case equal = "="
    }

    struct Failure: Error {
        let message: String
    }

    let comparators: [(Operator, TagVersion)]

    init(_ text: String) throws(Failure) {
        var comparators: [(Operator, TagVersion)] = []
        for word in text.split(separator: " ") {
            let op =
                [Operator.greaterOrEqual, .lessOrEqual, .greater, .less, .equal].first { word.hasPrefix($0.rawValue) }
                ?? .equal
            let version = word.hasPrefix(op.rawValue) ? String(word.dropFirst(op.rawValue.count)) : String(word)
            guard let parsed = TagVersion(version) else {
                throw Failure(
                    message:
                        """
                        '\(word.prefix(40))' is not a comparator: write >=, >, <=, < or = before a version such as \
                        1.25 or 2
                        """
                )
            }
            comparators.append((op, parsed))
        }
        guard !comparators.isEmpty, comparators.count <= 8 else {
            throw Failure(message: "give 1 to 8 comparators separated by spaces, such as '>=1.25 <2'")
        }
        self.comparators = comparators
    }

    func contains(tag: String) -> Bool {
        guard let version = TagVersion(tag) else { return false }
        return comparators.allSatisfy { op, bound in
            switch op {
            case .greaterOrEqual: version >= bound
            case .lessOrEqual: version <= bound
            case .greater: version > bound
            case .less: version < bound
            case .equal: version == bound
            }
        }
    }
}
