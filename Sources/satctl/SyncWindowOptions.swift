import ArgumentParser
import SatelliteProtocol

/// `--sync-window` and `--outside-window`, as satellites, sites and groups take them.
struct SyncWindowOptions: ParsableArguments {
    @Option(
        name: .customLong("sync-window"),
        help:
            """
            When upstreams may be used: 'Mon-Fri 22:00-05:00 Europe/Berlin' (days, wall-clock times, a tz name); \
            repeat for several. An empty string removes them all.
            """
    )
    var syncWindows: [String] = []
    @Option(
        name: .customLong("outside-window"),
        help: "What a pull-through miss gets outside the windows: defer (a 404 saying when) or allow.")
    var outsideWindow: String?

    var isEmpty: Bool { syncWindows.isEmpty && outsideWindow == nil }

    /// The windows given, checked here for a message before the request: nil when none were
    /// given, empty when they are to be removed.
    func windows() throws -> [String]? {
        guard !syncWindows.isEmpty else { return nil }
        if syncWindows.contains("") { return [] }
        for window in syncWindows {
            do { _ = try SyncWindow(parsing: window) } catch { throw SatctlError("--sync-window: \(error)") }
        }
        return syncWindows
    }

    func outsideWindowChecked() throws -> String? {
        guard let outsideWindow else { return nil }
        guard [DesiredState.SyncWindows.deferMisses, DesiredState.SyncWindows.allowMisses].contains(outsideWindow)
        else { throw SatctlError("--outside-window must be defer or allow, not '\(outsideWindow)'") }
        return outsideWindow
    }
}
