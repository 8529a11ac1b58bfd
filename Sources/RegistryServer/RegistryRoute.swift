import OCI

/// A request path of the distribution API, parsed into what it addresses.
///
/// Repository names contain slashes, so the path is read from its end: the last one or two
/// components say which endpoint it is, and everything before them is the name.
package enum RegistryRoute: Equatable, Sendable {
    case base
    case catalog
    case tags(RepositoryName)
    case manifest(RepositoryName, reference: String)
    case blob(RepositoryName, digest: String)
    case uploads(RepositoryName)
    case upload(RepositoryName, id: String)
    case referrers(RepositoryName, digest: String)

    /// A short, fixed label for metrics.
    package var metricLabel: String {
        switch self {
        case .base: "base"
        case .catalog: "catalog"
        case .tags: "tags"
        case .manifest: "manifest"
        case .blob: "blob"
        case .uploads, .upload: "upload"
        case .referrers: "referrers"
        }
    }

    /// Parses a path; nil when it is not a distribution API path. Throws for an invalid name.
    package init?(path: String) throws(OCIError) {
        guard path == "/v2" || path.hasPrefix("/v2/") else { return nil }
        var components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(2).map {
            String($0).removingPercentEncoding ?? String($0)
        }
        if components.isEmpty || components == [""] {
            self = .base
            return
        }
        if components == ["_catalog"] {
            self = .catalog
            return
        }
        // A trailing slash is only meaningful for the upload-start endpoint.
        let trailingSlash = components.last == ""
        if trailingSlash { components.removeLast() }
        let count = components.count
        guard count >= 2 else { return nil }

        func name(droppingLast n: Int) throws(OCIError) -> RepositoryName? {
            guard count > n else { return nil }
            return try RepositoryName(components[0..<(count - n)].joined(separator: "/"))
        }

        let last = components[count - 1]
        let second = components[count - 2]
        let third = count >= 3 ? components[count - 3] : nil
        if second == "blobs", last == "uploads", let repository = try name(droppingLast: 2) {
            self = .uploads(repository)
        } else if trailingSlash {
            return nil
        } else if second == "tags", last == "list", let repository = try name(droppingLast: 2) {
            self = .tags(repository)
        } else if third == "blobs", second == "uploads", let repository = try name(droppingLast: 3) {
            self = .upload(repository, id: last)
        } else if second == "manifests", let repository = try name(droppingLast: 2) {
            self = .manifest(repository, reference: last)
        } else if second == "blobs", let repository = try name(droppingLast: 2) {
            self = .blob(repository, digest: last)
        } else if second == "referrers", let repository = try name(droppingLast: 2) {
            self = .referrers(repository, digest: last)
        } else {
            return nil
        }
    }
}

private extension String {
    var removingPercentEncoding: String? {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let c = iterator.next() {
            if c == UInt8(ascii: "%") {
                guard let h = iterator.next(), let l = iterator.next(),
                    let hi = hexValue(h), let lo = hexValue(l)
                else { return nil }
                bytes.append(hi << 4 | lo)
            } else {
                bytes.append(c)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
