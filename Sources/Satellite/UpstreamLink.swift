import OCI
import StateContent

/// The satellite's link to its upstreams as every request sees it: the sync windows first, then
/// the byte budgets; the meter hears every byte.
package struct UpstreamLink: UpstreamGate {
    package let windows: LinkWindows
    package let meter: UpstreamMeter

    package init(windows: LinkWindows, meter: UpstreamMeter) {
        self.windows = windows
        self.meter = meter
    }

    package func admit(
        _ use: UpstreamUse, upstream: String, repository: RepositoryName, bytes: Int64?
    ) throws(UpstreamClosed) {
        try windows.admit(use, upstream: upstream, repository: repository)
        try meter.admit(upstream, repository: repository, bytes: bytes)
    }

    package func received(_ bytes: Int64, upstream: String, repository: RepositoryName) {
        meter.received(bytes, upstream: upstream, repository: repository)
    }

    /// Whether a pull-through miss for `repository` would be fetched now (windows and budgets
    /// allowing), asked without counting as a refusal.
    package func mayPullThrough(_ upstream: String, repository: RepositoryName) -> Bool {
        (try? windows.admit(.pullThrough, upstream: upstream, repository: repository)) != nil
            && !meter.isSpent(for: upstream, repository: repository)
    }
}
