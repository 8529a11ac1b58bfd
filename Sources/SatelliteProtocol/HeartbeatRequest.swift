import Foundation

/// Ground Control asking a satellite to heartbeat now. Some of what Ground Control has for a
/// satellite comes only in a heartbeat reply (a credential to rotate to), and a satellite that
/// heartbeats quietly may not call for many minutes; its long-poll is held meanwhile.
///
/// A satellite that acts on the request says so on each long-poll with `Prefer:
/// heartbeat-request` (RFC 7240). Ground Control then answers that long-poll, at once or when
/// the instruction is made, with 304 and `Satellite-Heartbeat: requested`. An older satellite
/// sends no preference, keeps its long-poll, and gets the instruction at its next heartbeat
/// (every heartbeat interval, as before).
public enum HeartbeatRequest {
    /// The preference a satellite's long-poll names.
    public static let preference = "heartbeat-request"
    /// The response header that asks for the heartbeat, and its value.
    public static let header = "Satellite-Heartbeat"
    public static let requested = "requested"

    /// Whether a `Prefer` header names the preference: a comma-separated list of
    /// `token[=value][; parameters]`, tokens compared without regard to case.
    public static func isPreferred(in prefer: String?) -> Bool {
        guard let prefer else { return false }
        return prefer.split(separator: ",").contains { item in
            let token = item.split(separator: ";", maxSplits: 1).first?.split(separator: "=", maxSplits: 1).first
            return token?.trimmingCharacters(in: .whitespaces).lowercased() == preference
        }
    }
}
