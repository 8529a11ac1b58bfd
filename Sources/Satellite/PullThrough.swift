import Foundation
import Logging
import NIOCore
import OCI
import RegistryClient
import RegistryServer
import RegistryStore
import Replication
import SatelliteProtocol
import StateContent
import Synchronization

/// The satellite's pull-through (DESIGN.md §5.2 `proxy:`): what no artifact names is fetched
/// from its upstream on first pull, when the state's rules allow the repository, and kept.
///
/// - Local-first: a held digest never touches the upstream; a held tag is served as it is within
///   its `tagTTL`, then one `HEAD` (with a short deadline) checks it. An upstream that cannot be
///   asked leaves the held copy served.
/// - Default deny: a repository outside the rules gets `DENIED`, and nothing is fetched.
/// - One fetch per manifest or blob however many clients ask at once.
/// - Manifests are fetched whole and verified before they are stored; blobs are verified while
///   they are written, and committed only when their digest matches.
public final class PullThrough: ContentOnDemand, SyncObserver {
    /// What the current state says.
    struct Rules: Sendable {
        var upstreams: [String: DesiredState.Upstream] = [:]
        var proxy: [String: DesiredState.ProxyRule] = [:]
        /// Repositories the state's artifacts live in: their tags are the sync's, not the cache's.
        var pinned: Set<String> = []
        /// Ground Control's disk budget for the cache, when it sets one.
        var cacheMaxBytes: Int64?
        /// The signature policy of what each upstream pulls through, when one applies.
        var verification: [String: DesiredState.Verification] = [:]
    }

    /// How a stored repository's name says where it comes from.
    public enum Naming: Sendable {
        /// `<upstream>/<repository>`: an agent's store, each upstream apart (DESIGN.md §5.2).
        case qualified
        /// Every name the rule allows is this upstream's, as it is named there; the others are
        /// the registry's own (`satellite serve --proxy-upstream`).
        case flat(upstream: String)
    }

    private let rules = Mutex(Rules())
    private let naming: Naming
    /// When each pulled-through tag (`repository:tag`) was last checked against its upstream.
    private let checked = Mutex([String: ContinuousClock.Instant]())
    /// Pulls of cached manifests since `CacheBudget` last took them (wall-clock seconds).
    private let pulls = Mutex([ManifestReference: Double]())
    /// When each cached repository last had a request (wall-clock seconds): its manifests are
    /// spared while their blobs are being pulled.
    private let activity = Mutex([String: Double]())
    /// Bumped when something was added to the cache (`CacheBudget` waits on it).
    let cacheGrew = ChangeSignal()
    private let flights = Flights()
    private let arrivals = BlobArrivals()
    private let sources: any ContentSources
    private let store: RegistryStore
    private let logger: Logger
    private let metrics: PullThroughMetrics?
    /// How long a tag check may take before the held copy is served instead.
    let revalidationDeadline: Duration

    public init(
        sources: any ContentSources, store: RegistryStore, logger: Logger, naming: Naming = .qualified,
        metrics: PullThroughMetrics? = nil, revalidationDeadline: Duration = .seconds(3)
    ) {
        self.sources = sources
        self.metrics = metrics
        self.naming = naming
        self.store = store
        self.logger = logger
        self.revalidationDeadline = revalidationDeadline
    }

    // MARK: Following the state

    public func accepted(_ state: DesiredState) async {
        follow(state)
    }

    /// Takes the upstreams and rules of `state` (verified by the caller).
    public func follow(_ state: DesiredState) {
        var next = Rules()
        for upstream in state.upstreams { next.upstreams[upstream.name] = upstream }
        for rule in state.proxy ?? [] {
            next.proxy[rule.upstream] = rule
            next.verification[rule.upstream] = state.verification(forProxy: rule.upstream)
        }
        next.pinned = Set(state.artifacts.compactMap { try? $0.localRepository().value })
        next.cacheMaxBytes = state.settings?.cacheMaxBytes
        rules.withLock { $0 = next }
    }

    public func synced(_ state: DesiredState) async {}

    // MARK: ContentOnDemand

    /// Where a pulled-through repository comes from: the upstream, the name there, the rule.
    private struct Origin {
        let upstream: DesiredState.Upstream
        let repository: RepositoryName
        let rule: DesiredState.ProxyRule
        let verification: DesiredState.Verification?
    }

    /// The origin of a stored repository, when pull-through is on for it. Nil when the
    /// repository is no upstream's cache; `DENIED` when the upstream pulls through but not this
    /// repository. No client is made here: a tag read on the hot path often needs none.
    private func origin(_ stored: RepositoryName) throws(OnDemandRefusal) -> Origin? {
        let current = rules.withLock { $0 }
        let named: (upstream: String, repository: RepositoryName)?
        switch naming {
        case .qualified: named = DesiredState.Artifact.upstreamAndRepository(stored)
        case .flat(let upstream): named = (upstream, stored)
        }
        guard let named, let upstream = current.upstreams[named.upstream], let rule = current.proxy[upstream.name]
        else { return nil }
        let repository = named.repository
        guard rule.allows(repository) else {
            // A plain registry's other names are its own, pushed there: a miss is a miss.
            if case .flat = naming { return nil }
            throw OnDemandRefusal("\(repository) is not in \(upstream.name)'s pull-through rules; nothing was fetched")
        }
        return Origin(
            upstream: upstream, repository: repository, rule: rule, verification: current.verification[upstream.name])
    }

    /// `origin(_:)` for a client's miss: a refusal is counted.
    private func originOfMiss(_ stored: RepositoryName) throws(OnDemandRefusal) -> Origin? {
        do {
            return try origin(stored)
        } catch {
            metrics?.refused()
            throw error
        }
    }

    public func servedHeld(_ stored: RepositoryName, manifest: Digest?, bytes: Int64) {
        guard isCached(stored.value) else { return }
        metrics?.hit(bytes: bytes)
        if let manifest { notePull(stored, manifest) } else { noteActivity(stored) }
    }

    /// Whether a stored repository is pull-through's cache (not the state's, nor pushed).
    func isCached(_ stored: String) -> Bool {
        guard !rules.withLock({ $0.pinned.contains(stored) }), let name = try? RepositoryName(stored) else {
            return false
        }
        return (try? origin(name)) != nil
    }

    /// The budget Ground Control set, if any.
    var cacheBudget: Int64? { rules.withLock { $0.cacheMaxBytes } }

    private func notePull(_ stored: RepositoryName, _ manifest: Digest) {
        let now = store.options.clock()
        pulls.withLock { $0[ManifestReference(repository: stored.value, digest: manifest.string)] = now }
    }

    private func noteActivity(_ stored: RepositoryName) {
        let now = store.options.clock()
        activity.withLock { $0[stored.value] = now }
    }

    /// When each cached repository last had a request, forgetting those before `since`.
    func recentActivity(since: Double) -> [String: Double] {
        activity.withLock { activity in
            activity = activity.filter { $0.value >= since }
            return activity
        }
    }

    /// The pulls noted since the last call.
    func takePulls() -> [ManifestReference: Double] {
        pulls.withLock { pulls in
            defer { pulls = [:] }
            return pulls
        }
    }

    public func fetchManifest(_ stored: RepositoryName, reference: Reference) async throws -> OnDemandManifest {
        guard let found = try originOfMiss(stored) else { return .notFetchable }
        let (source, repository) = (try sources.source(for: found.upstream), found.repository)
        do {
            let started = try await flights.run("manifest \(stored):\(reference)") {
                let digest: Digest
                switch reference {
                case .digest(let pinned): digest = pinned
                case .tag(let tag): digest = try await source.resolve(repository, tag: tag)
                }
                let tag: Tag? = if case .tag(let tag) = reference { tag } else { nil }
                // An index's children are fetched by digest and carry no signature of their own:
                // the index they belong to was checked.
                var policy = found.verification
                if policy != nil, tag == nil, (try? await self.store.isListed(digest, in: stored)) == true {
                    policy = nil
                }
                try await self.storeManifest(source, repository, digest, into: stored, tag: tag, policy: policy)
            }
            if started { metrics?.missed() } else { metrics?.joined() }
            logger.info("pulled through", metadata: ["repository": "\(stored)", "reference": "\(reference)"])
            return .fetched
        } catch let error as OnDemandRefusal {
            throw error
        } catch let closed as UpstreamClosed {
            throw OnDemandDeferred("\(stored):\(reference) is not held here: \(closed.message)", code: .manifestUnknown)
        } catch {
            logger.warning(
                "cannot pull through",
                metadata: ["repository": "\(stored)", "reference": "\(reference)", "error": "\(error)"])
            return .unavailable
        }
    }

    public func fetchBlob(_ stored: RepositoryName, digest: Digest) async throws -> OnDemandBlob? {
        guard let found = try originOfMiss(stored) else { return nil }
        noteActivity(stored)
        let (arrival, started) = await arrivals.join(digest)
        if started { metrics?.missed() } else { metrics?.joined() }
        if started {
            let source = try sources.source(for: found.upstream)
            let repository = found.repository
            Task { await self.arrive(arrival, from: source, repository, into: stored) }
        }
        do {
            switch try await arrival.announcement() {
            case .stored:
                if !started { _ = try await store.mountBlob(digest, from: nil, into: stored) }
                return .held
            case .size:
                if !started, !arrival.link(stored) { _ = try await store.mountBlob(digest, from: nil, into: stored) }
                return .arriving(arrival)
            }
        } catch let closed as UpstreamClosed {
            throw OnDemandDeferred("\(stored)@\(digest) is not held here: \(closed.message)", code: .blobUnknown)
        } catch {
            logger.warning(
                "cannot pull through", metadata: ["repository": "\(stored)", "blob": "\(digest)", "error": "\(error)"])
            return nil
        }
    }

    /// Downloads a blob into the store while clients read it (see `BlobArrival`). Runs on its
    /// own, so that a client that goes away does not stop it for the others.
    private func arrive(
        _ arrival: BlobArrival, from source: any ContentSource, _ repository: RepositoryName,
        into stored: RepositoryName
    ) async {
        let digest = arrival.digest
        do {
            // Held for another repository: linked, not fetched again.
            if try await store.mountBlob(digest, from: nil, into: stored) {
                arrival.end(.stored)
            } else {
                try await store.ingestBlob(
                    digest, into: stored, onWritten: { [weak arrival] in arrival?.reached($0) },
                    verified: { arrival.end(.verified) }
                ) { ingest in
                    arrival.begin(ingest, received: { [metrics] in metrics?.fetched(bytes: $0) })
                    try await source.downloadUnsized(repository, digest: digest, into: arrival)
                }
                arrival.end(.stored)
                cacheGrew.notify()
            }
            for joined in arrival.takeLinks() {
                if let name = try? RepositoryName(joined) {
                    _ = try await store.mountBlob(digest, from: nil, into: name)
                }
            }
        } catch {
            logger.warning(
                "cannot pull through", metadata: ["repository": "\(stored)", "blob": "\(digest)", "error": "\(error)"])
            arrival.end(.failed(error))
        }
        await arrivals.remove(digest)
    }

    public func refresh(_ stored: RepositoryName, tag: Tag) async {
        let key = "\(stored):\(tag)"
        guard !rules.withLock({ $0.pinned.contains(stored.value) }), let found = try? origin(stored) else { return }
        let ttl = Duration.seconds(found.rule.tagTTL ?? DesiredState.ProxyRule.defaultTagTTL)
        let now = ContinuousClock.now
        let due = checked.withLock { checked in
            guard let last = checked[key], now - last < ttl else {
                checked[key] = now
                return true
            }
            return false
        }
        guard due, let held = try? await store.manifestInfo(repository: stored, reference: .tag(tag)).digest else {
            return
        }
        let repository = found.repository
        do {
            let source = try sources.source(for: found.upstream)
            let current = try await withDeadline(revalidationDeadline) {
                try await source.resolve(repository, tag: tag)
            }
            guard current != held else { return }
            _ = try await flights.run("manifest \(stored):\(tag)") {
                try await self.storeManifest(
                    source, repository, current, into: stored, tag: tag, policy: found.verification)
            }
            logger.info(
                "pulled-through tag moved upstream",
                metadata: ["repository": "\(stored)", "tag": "\(tag)", "digest": "\(current)"])
        } catch {
            metrics?.servedStale()
            logger.notice(
                "serving a pulled-through tag without checking it: the upstream did not answer in time",
                metadata: [
                    "repository": "\(stored)", "tag": "\(tag)", "error": "\(error)",
                ])
        }
    }

    private func storeManifest(
        _ source: any ContentSource, _ repository: RepositoryName, _ digest: Digest, into stored: RepositoryName,
        tag: Tag?,
        policy: DesiredState.Verification?
    ) async throws {
        // Verified against its digest by the source; its blobs and children come when asked for.
        let manifest = try await source.manifest(repository, digest: digest)
        metrics?.fetched(bytes: Int64(manifest.bytes.count))
        if let policy {
            // Checked before anything is stored; admitted, its signatures are kept beside it.
            let signatures = try await FetchedSignatures.fetch(
                of: digest, manifest: manifest.bytes, in: repository, from: source, policy: policy)
            if let refusal = signatures.refusal {
                metrics?.refused()
                throw OnDemandRefusal("\(repository)@\(digest) is withheld by the signature policy: \(refusal)")
            }
            try await storeSignatures(signatures.signatures, into: stored)
        }
        _ = try await store.putManifest(
            repository: stored, reference: .digest(digest), bytes: manifest.bytes, contentType: manifest.mediaType,
            requireChildManifests: false, requireBlobs: false)
        notePull(stored, digest)
        cacheGrew.notify()
        if let tag {
            try await store.setTag(stored, tag, to: digest)
            let key = "\(stored):\(tag)"
            checked.withLock { $0[key] = .now }
        }
    }
}

extension PullThrough {
    /// Stores signatures fetched for a pulled-through artifact: their blobs, their manifests, and
    /// the `.sig` tag, so devices can verify again.
    func storeSignatures(_ signatures: [FetchedSignatures.Signature], into stored: RepositoryName) async throws {
        for signature in signatures {
            for blob in signature.blobs {
                try await store.ingestBlob(blob.digest, into: stored) { ingest in
                    try await ingest.append(ByteBuffer(bytes: blob.bytes))
                }
            }
            _ = try await store.putManifest(
                repository: stored, reference: .digest(signature.manifest.digest), bytes: signature.manifest.bytes,
                contentType: signature.manifest.mediaType)
            if let tag = signature.tag { try await store.setTag(stored, tag, to: signature.manifest.digest) }
        }
    }
}

/// Operations in flight by key: a second caller with the same key waits for the first one's
/// outcome instead of starting its own.
actor Flights {
    private var running: [String: Task<Void, any Error>] = [:]

    /// Returns whether this caller started the operation (false: it joined one under way).
    @discardableResult
    func run(_ key: String, _ operation: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        if let existing = running[key] {
            try await existing.value
            return false
        }
        let task = Task { try await operation() }
        running[key] = task
        defer { running[key] = nil }
        try await task.value
        return true
    }
}

/// Runs `operation`, giving up after `deadline`.
func withDeadline<T: Sendable>(
    _ deadline: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: deadline)
            throw CancellationError()
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}
