import Foundation

/// Slows password guessing: after five wrong passwords for one name within fifteen minutes, that
/// name is locked out until the oldest of them is fifteen minutes old (429), right password or
/// not. The failures are rows, so every process serving the database counts the same ones.
extension PeopleService {
    public static let loginAttempts = 5
    public static let loginWindow: TimeInterval = 15 * 60

    /// When `name` may try again, if it is locked out now.
    public func loginLockedUntil(_ name: String) async throws -> Date? {
        let since = Self.milliseconds(now().addingTimeInterval(-Self.loginWindow))
        let recent = try await store.read { records in
            try await records.people.loginFailures(of: Self.loginKey(name), after: since, limit: Self.loginAttempts)
        }
        guard recent.count >= Self.loginAttempts, let oldest = recent.first else { return nil }
        return Date(timeIntervalSince1970: Double(oldest) / 1000 + Self.loginWindow)
    }

    /// Counts a wrong password for `name`. Failures older than the window are swept here, so the
    /// table holds at most what fifteen minutes of guessing sent.
    public func recordLoginFailure(_ name: String) async throws {
        let at = now()
        try await store.transaction { records in
            try await records.people.recordLoginFailure(
                of: Self.loginKey(name), at: Self.milliseconds(at),
                sweepBefore: Self.milliseconds(at.addingTimeInterval(-Self.loginWindow)))
        }
    }

    /// A right password forgives the wrong ones before it.
    public func clearLoginFailures(_ name: String) async throws {
        try await store.transaction { records in try await records.people.clearLoginFailures(of: Self.loginKey(name)) }
    }

    /// Names are whatever a client sent: bounded, so a guess cannot make a large row.
    private static func loginKey(_ name: String) -> String { String(name.prefix(128)) }
}
