import Foundation

/// Files another program keeps rewriting (a SPIRE agent's certificate and key, an operator's
/// trust bundle), read whole each time they are looked at. Reading, not a change time, says
/// whether they changed: a rewrite within one clock tick is not missed.
public struct WatchedFiles: Sendable {
    public let paths: [String]
    private var seen: [Data?]?

    public init(_ paths: [String]) {
        self.paths = paths
    }

    /// The files' bytes (nil for a file that is not there) when any differs from the last
    /// look, or at the first; nil when nothing changed. What is returned counts as seen, so a
    /// file torn by a writer mid-rewrite is read again only once the writer changes it again.
    public mutating func changed<Failure: Error>(
        read: (String) throws(Failure) -> Data?
    ) throws(Failure) -> [Data?]? {
        var now: [Data?] = []
        for path in paths { now.append(try read(path)) }
        guard now != seen else { return nil }
        seen = now
        return now
    }

    /// `changed(read:)` for files anyone may read.
    public mutating func changed() -> [Data?]? {
        changed { path in FileManager.default.contents(atPath: path) }
    }
}
