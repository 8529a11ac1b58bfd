import Admission
import OCI
import RegistryStore
import SatelliteProtocol
import Synchronization

/// What the admission webhook may send pods to this satellite for: an image from an upstream of
/// the state whose tag (or digest) the store holds, or whose repository the pull-through rules
/// allow. Named as the satellite serves it: `<advertised host>/<upstream>/<repository>`, the
/// path qualified by the upstream's name (DESIGN.md §5.2), so it never depends on `?ns=`.
package final class AdmissionImages: ImageMirror, SyncObserver {
    private struct Current {
        /// A state has been taken: before it, nothing is known to be served.
        var ready = false
        /// `upstream/repository:tag` → the digest the state pins it to.
        var pins: [String: Digest] = [:]
    }

    /// `host[:port]` devices and nodes reach the satellite at.
    let advertised: String
    /// Rewrite `repo:tag` to `repo:tag@digest` when the state pins the tag.
    let pinDigests: Bool
    private let namespaces: UpstreamNamespaces
    private let store: RegistryStore
    /// The sync windows and budgets: a miss outside them is not fetched, so not sent here.
    private let link: UpstreamLink
    private let current = Mutex(Current())

    package init(
        advertised: String, pinDigests: Bool, namespaces: UpstreamNamespaces, store: RegistryStore,
        link: UpstreamLink
    ) {
        self.advertised = advertised
        self.pinDigests = pinDigests
        self.namespaces = namespaces
        self.store = store
        self.link = link
    }

    package func accepted(_ state: DesiredState) async {
        var pins: [String: Digest] = [:]
        for artifact in state.artifacts {
            guard let tag = artifact.tag, let digest = artifact.digest else { continue }
            pins["\(artifact.upstream)/\(artifact.repository):\(tag)"] = digest
        }
        current.withLock { $0 = Current(ready: true, pins: pins) }
    }

    package func synced(_ state: DesiredState) async {}

    package var isReady: Bool { current.withLock { $0.ready } }

    package func mirrored(_ image: ImageName) async -> String? {
        guard let found = namespaces.upstream(host: image.registry, repository: image.repository),
            let kept = try? RepositoryName("\(found.name)/\(image.repository)")
        else { return nil }
        let tag = image.effectiveTag
        var held = false
        if found.held, let reference = image.digest.map(Reference.digest) ?? tag.map(Reference.tag) {
            held = (try? await store.manifestInfo(repository: kept, reference: reference)) != nil
        }
        // A pod sent here for what the satellite can neither serve nor fetch now would not start.
        guard held || (found.fetchable && link.mayPullThrough(found.name, repository: image.repository)) else {
            return nil
        }
        var digest = image.digest
        if digest == nil, pinDigests, let tag {
            digest = current.withLock { $0.pins["\(found.name)/\(image.repository):\(tag)"] }
        }
        return "\(advertised)/\(kept)" + (tag.map { ":\($0)" } ?? "") + (digest.map { "@\($0)" } ?? "")
    }
}
