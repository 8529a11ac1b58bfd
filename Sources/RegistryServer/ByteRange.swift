/// A single `Range: bytes=…` request for a blob: `a-b`, `a-`, or a suffix `-n`.
///
/// Spec: RFC 9110 §14.1.2. Multiple ranges are not supported and read as no range at all.
struct ByteRange: Equatable, Sendable {
    enum Form: Equatable, Sendable {
        case closed(Int64, Int64)
        case from(Int64)
        case suffix(Int64)
    }

    let form: Form

    /// Parses a `Range` header value; nil when absent, malformed or multi-range (serve it all).
    init?(header: String) {
        guard header.hasPrefix("bytes=") else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: " ")
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let start = spec[..<dash]
        let end = spec[spec.index(after: dash)...]
        if start.isEmpty {
            guard let n = Int64(end), n >= 0 else { return nil }
            form = .suffix(n)
        } else if end.isEmpty {
            guard let a = Int64(start), a >= 0 else { return nil }
            form = .from(a)
        } else {
            guard let a = Int64(start), let b = Int64(end), a >= 0, b >= a else { return nil }
            form = .closed(a, b)
        }
    }

    /// The half-open byte range this selects from a blob of `size`, or nil when unsatisfiable.
    func resolve(size: Int64) -> Range<Int64>? {
        switch form {
        case .closed(let a, let b):
            guard a < size else { return nil }
            return a..<(min(b, size - 1) + 1)
        case .from(let a):
            guard a < size else { return nil }
            return a..<size
        case .suffix(let n):
            guard n > 0, size > 0 else { return nil }
            return max(size - n, 0)..<size
        }
    }
}

/// The `Content-Range` of an upload chunk: `start-end`, inclusive (the distribution spec's form).
struct ChunkRange: Equatable, Sendable {
    let start: Int64
    let end: Int64

    var length: Int64 { end - start + 1 }

    /// Parses `a-b`, also tolerating a `bytes ` or `bytes=` prefix and a `/total` suffix.
    init?(header: String) {
        var value = Substring(header.trimmingCharacters(in: " "))
        for prefix in ["bytes=", "bytes "] where value.hasPrefix(prefix) {
            value = value.dropFirst(prefix.count)
        }
        if let slash = value.firstIndex(of: "/") { value = value[..<slash] }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int64(parts[0]), let b = Int64(parts[1]), a >= 0, b >= a else { return nil }
        start = a
        end = b
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        String(drop(while: { $0 == set }).reversed().drop(while: { $0 == set }).reversed())
    }
}
