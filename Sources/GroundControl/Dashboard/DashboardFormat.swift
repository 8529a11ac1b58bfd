import FleetDomain
import Foundation

/// How the dashboard writes numbers and times for people.
enum DashboardFormat {
    static func bytes(_ value: Int64?) -> String {
        guard let value else { return "—" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : String(format: "%.1f %@", amount, units[unit])
    }

    /// "12 s ago", "3 min ago", "5 h ago", "2 d ago".
    static func ago(_ date: Date?, now: Date) -> String {
        guard let date else { return "never" }
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        switch seconds {
        case ..<60: return "\(seconds) s ago"
        case ..<3600: return "\(seconds / 60) min ago"
        case ..<86400: return "\(seconds / 3600) h ago"
        default: return "\(seconds / 86400) d ago"
        }
    }

    /// "in 3 d", for expiries.
    static func within(_ date: Date?, now: Date) -> String {
        guard let date else { return "—" }
        let seconds = Int(date.timeIntervalSince(now))
        if seconds <= 0 { return "expired" }
        switch seconds {
        case ..<3600: return "in \(seconds / 60) min"
        case ..<86400: return "in \(seconds / 3600) h"
        default: return "in \(seconds / 86400) d"
        }
    }

    static func timestamp(_ date: Date?) -> String {
        guard let date else { return "" }
        return date.formatted(.iso8601)
    }

    /// The part of a digest people compare: `sha256:0123456789ab`.
    static func short(_ digest: String) -> String {
        guard let colon = digest.firstIndex(of: ":") else { return String(digest.prefix(19)) }
        return String(digest[...colon]) + digest[digest.index(after: colon)...].prefix(12)
    }
}
