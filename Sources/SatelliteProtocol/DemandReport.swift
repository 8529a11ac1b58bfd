import Foundation

/// What devices asked a satellite for that it did not hold, per repository and tag (or digest),
/// as it reports it: the entries asked for most, and how many others it left out.
public struct DemandReport: Codable, Sendable, Equatable {
    public var entries: [DemandEntry]
    /// Entries kept but not reported (the report carries at most `DemandReport.reportedEntries`).
    public var omitted: Int?

    /// How many entries a report carries at most; Ground Control refuses more.
    public static let reportedEntries = 100

    public init(entries: [DemandEntry], omitted: Int? = nil) {
        self.entries = entries
        self.omitted = omitted
    }
}

/// One repository and tag (or digest) devices asked for, with how often each way it went unheld.
public struct DemandEntry: Codable, Sendable, Equatable {
    /// The upstream (a Ground Control registry's name) the name resolved to; absent when it
    /// resolved to none.
    public var upstream: String?
    /// The registry host the device named (`?ns=`) when the satellite mirrors nothing from it.
    public var host: String?
    /// The repository within its upstream (as asked, when no upstream).
    public var repository: String
    public var tag: String?
    public var digest: String?
    /// Pull-through misses: fetched from the upstream for the device, deferred outside the sync
    /// windows, or not given by the upstream.
    public var misses: Int64
    /// Refused as outside the pull-through rules.
    public var denied: Int64
    /// Plain misses: nothing may fetch it there.
    public var notFound: Int64
    public var lastAskedAt: Date

    public init(
        upstream: String?, host: String? = nil, repository: String, tag: String?, digest: String?, misses: Int64 = 0,
        denied: Int64 = 0, notFound: Int64 = 0, lastAskedAt: Date
    ) {
        self.upstream = upstream
        self.host = host
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.misses = misses
        self.denied = denied
        self.notFound = notFound
        self.lastAskedAt = lastAskedAt
    }

    /// Every request counted, whichever way it went.
    public var requests: Int64 { misses &+ denied &+ notFound }

    /// `repository:tag` or `repository@digest`, with the upstream or host before it when known.
    public var reference: String {
        let name = [upstream ?? host, repository].compactMap { $0 }.joined(separator: "/")
        return name + (tag.map { ":\($0)" } ?? "") + (digest.map { "@\($0)" } ?? "")
    }
}
