import Foundation
import OCI

/// A heartbeat that says "nothing changed": `POST /api/v1/status` with no body and
/// `If-Match` naming the digest of the last status Ground Control took from the satellite.
/// Ground Control answers as to a full heartbeat when that is the status it holds, and 412
/// (`STATUS_CHANGED`) otherwise, after which the satellite sends its status in full.
///
/// Only sent to a Ground Control whose replies carry `statusDigest`; an older one gets full
/// heartbeats as before, and an older satellite never sends a quiet one.
public enum QuietHeartbeat {
    /// The digest of a status report's body, exactly as it was sent.
    public static func digest(of body: some Collection<UInt8>) -> String {
        DigestHasher.digest(of: body).string
    }

    /// The `If-Match` value for `digest`.
    public static func entityTag(_ digest: String) -> String { "\"\(digest)\"" }

    /// The digest an `If-Match` value names, or nil for anything else (a list, `*`, a weak tag).
    public static func digest(ifMatch header: String) -> String? {
        let value = header.trimmingCharacters(in: .whitespaces)
        guard value.count > 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return nil }
        let digest = value.dropFirst().dropLast()
        guard !digest.contains("\""), (try? Digest(String(digest))) != nil else { return nil }
        return String(digest)
    }

    /// The error code of the 412 a quiet heartbeat gets when Ground Control holds another status.
    public static let changedCode = "STATUS_CHANGED"
}
