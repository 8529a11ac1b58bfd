import FleetAPI
import SatelliteProtocol
import ZoneInfo

/// Sync windows as Ground Control takes them from admins: each read, its zone looked up in this
/// machine's tz database, kept in canonical spelling. A satellite looks its zones up again in its own.
enum SyncWindowRules {
    static let zones = ZoneDatabase.system()
    /// Enough for any week; more is a mistake or an attack on the heartbeat's size.
    static let maximumWindows = 16

    /// The windows, checked, or nil for none. Errors name `field` and the window's index.
    static func validated(_ windows: [String]?, field: String) throws(GroundControlError) -> [String]? {
        guard let windows, !windows.isEmpty else { return nil }
        guard windows.count <= maximumWindows else {
            throw GroundControlError(.invalidField, "\(field): at most \(maximumWindows) windows, not \(windows.count)")
        }
        var checked: [String] = []
        for (index, text) in windows.enumerated() {
            do {
                let window = try SyncWindow(parsing: String(text.prefix(200)))
                _ = try zones.rules(for: window.zone)
                checked.append(window.description)
            } catch {
                throw GroundControlError(.invalidField, "\(field)[\(index)]: \(error)")
            }
        }
        return checked
    }

    /// `defer`, `allow`, or nil for the default (`defer`).
    static func validatedOutsideWindow(_ value: String?, field: String) throws(GroundControlError) -> String? {
        guard let value, !value.isEmpty else { return nil }
        let known = [DesiredState.SyncWindows.deferMisses, DesiredState.SyncWindows.allowMisses]
        guard known.contains(value) else {
            throw GroundControlError(
                .invalidField, "\(field): must be \(known.joined(separator: " or ")), not '\(value.prefix(40))'")
        }
        return value
    }

    /// The windows a satellite follows: its own, else its site's; and what misses get outside them.
    static func effective(
        settings: SatelliteSettings, site: SiteSettings?
    ) -> DesiredState.SyncWindows? {
        let own = settings.syncWindows ?? []
        let windows = own.isEmpty ? site?.syncWindows ?? [] : own
        guard !windows.isEmpty else { return nil }
        return DesiredState.SyncWindows(
            windows: windows, outsideWindow: settings.outsideWindow ?? site?.outsideWindow)
    }
}
