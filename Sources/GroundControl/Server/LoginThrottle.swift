import Foundation

/// Slows password guessing: after five wrong passwords for one name within fifteen minutes,
/// that name is locked out for fifteen minutes (429), right password or not. Kept in memory, per
/// process: several replicas each allow as many.
actor LoginThrottle {
    static let attempts = 5
    static let window: TimeInterval = 15 * 60

    private var failures: [String: [Date]] = [:]

    /// When the name may try again, if it is locked out now.
    func lockedUntil(_ name: String, now: Date = Date()) -> Date? {
        let recent = (failures[name] ?? []).filter { now.timeIntervalSince($0) < Self.window }
        failures[name] = recent.isEmpty ? nil : recent
        guard recent.count >= Self.attempts, let oldest = recent.first else { return nil }
        return oldest.addingTimeInterval(Self.window)
    }

    func failed(_ name: String, now: Date = Date()) {
        // A bound on what guessing at many names can make this hold.
        if failures.count >= 10_000 { failures.removeAll() }
        failures[name, default: []].append(now)
    }

    func succeeded(_ name: String) {
        failures[name] = nil
    }
}
