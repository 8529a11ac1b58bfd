import ZoneInfo

/// Sync windows read against the tz database: when a satellite, or a group's content, may be
/// fetched from upstreams.
///
/// No windows means always. A window that cannot be read, or whose zone this machine does not
/// know, never opens and is reported: a satellite told to keep off its link keeps off it rather
/// than guess the hours.
public struct SyncSchedule: Sendable {
    private let windows: [(window: SyncWindow, rules: ZoneRules)]
    /// Set when windows were given: none open means closed.
    private let restricted: Bool
    /// The windows that never open here, each with why.
    public let problems: [String]

    /// No windows: upstreams may be used at any time.
    public static let always = SyncSchedule([], zones: ZoneDatabase(directory: ZoneDatabase.defaultDirectory))

    public init(_ texts: [String], zones: ZoneDatabase) {
        var windows: [(SyncWindow, ZoneRules)] = []
        var problems: [String] = []
        for text in texts {
            do {
                let window = try SyncWindow(parsing: text)
                do {
                    windows.append((window, try zones.rules(for: window.zone)))
                } catch {
                    problems.append("sync window '\(text)' never opens: \(error)")
                }
            } catch {
                problems.append("\(error); it never opens")
            }
        }
        self.windows = windows
        self.problems = problems
        restricted = !texts.isEmpty
    }

    /// Whether any window is given at all.
    public var isRestricted: Bool { restricted }

    /// Whether upstreams may be used at `instant` (seconds since the epoch).
    public func isOpen(at instant: Int64) -> Bool {
        !restricted || windows.contains { $0.window.isOpen(at: instant, rules: $0.rules) }
    }

    /// The first whole minute after `instant` at which `isOpen` changes, within eight days; nil
    /// when it never does (no windows, or none that can open).
    public func nextChange(after instant: Int64) -> Int64? {
        guard restricted, !windows.isEmpty else { return nil }
        let now = isOpen(at: instant)
        var minute = (CivilTime.floorDiv(instant, 60) + 1) * 60
        let limit = instant + 8 * CivilTime.secondsPerDay
        while minute <= limit {
            if isOpen(at: minute) != now { return minute }
            minute += 60
        }
        return nil
    }
}
