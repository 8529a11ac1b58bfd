/// The satellite's data directory and the layout of what it keeps there, in one place: the
/// registry store (`blobs/`, `uploads/`, `registry.sqlite`, laid out by `RegistryStore`), and
/// beside it the lock, Ground Control's credentials and last signed state, the status file and an
/// imported bundle's state.
public struct DataDirectory: Sendable, Hashable, CustomStringConvertible {
    public let path: String

    public init(_ path: String) {
        self.path = path
    }

    public var description: String { path }

    /// The registry store's root.
    public var store: String { path }

    /// Held by the one process that uses the directory (`DataDirectoryLock`).
    var lock: String { file("satellite.lock") }

    /// Who the satellite is to Ground Control (`GroundControlCredentials`), owner-only.
    var credentials: String { file("ground-control.json") }

    /// The last state Ground Control signed, with its signature (`SavedState`), owner-only.
    var savedState: String { file("ground-control-state.signed") }

    /// Where versions before 0.2 kept the state and its signature, as two files.
    var legacySavedState: (document: String, signature: String) {
        (file("ground-control-state.json"), file("ground-control-state.json.sig"))
    }

    /// Present while the saved state is one a bundle brought.
    var bundleMarker: String { file("ground-control-state.from-bundle") }

    /// What `satellite status` reads (`SatelliteStatus`).
    var status: String { file("status.json") }

    /// A bundle's state kept for a satellite that never registered.
    var importedState: String { file("imported-state.json") }

    /// The satellite's key and, once enrolled, its certificate chain (owner-only).
    var identity: String { file("identity.pem") }

    /// The key and certificate before the last renewal (owner-only).
    var previousIdentity: String { file("identity.previous.pem") }

    /// The key and certificate the satellite serves devices and peers with, from Ground Control
    /// (`--tls-from-ground-control`); owner-only.
    var servingIdentity: String { file("serving.pem") }

    /// The key and certificate the admission webhook serves with, from Ground Control
    /// (`--admission-tls-from-ground-control`); owner-only.
    var admissionIdentity: String { file("admission.pem") }

    /// The authority that signs satellites' certificates, as Ground Control last sent it.
    var trustBundle: String { file("trust-bundle.pem") }

    /// The last one-off window (`sync-now`) the satellite used, so a restart does not use it again.
    var syncNowUsed: String { file("sync-now-used") }

    /// Upstream bytes per day and month (`UpstreamMeter`), kept across restarts.
    var upstreamMeter: String { file("upstream-meter.json") }

    /// What devices asked for that the store did not hold (`DemandRecorder`), kept across restarts.
    var demand: String { file("demand.json") }

    /// The site CA the HTTPS proxy signs registry hosts' certificates with: key, then
    /// certificate (owner-only; `satellite proxy-ca export` prints the certificate).
    var proxyAuthority: String { file("proxy-ca.pem") }

    private func file(_ name: String) -> String { path + "/" + name }
}
