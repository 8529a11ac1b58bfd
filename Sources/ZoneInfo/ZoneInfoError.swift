/// Why a time zone could not be used.
public enum ZoneInfoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a name the tz database could hold (`Europe/Berlin`, `UTC`, `Etc/GMT+2`).
    case invalidName(String)
    /// The database has no such zone.
    case unknownZone(String, directory: String)
    /// There is no tz database on this machine.
    case noDatabase(directory: String)
    /// The zone's file is not a TZif file this code reads.
    case invalidFile(String, reason: String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            "'\(name)' is not a time zone name (Area/City, as in Europe/Berlin)"
        case .unknownZone(let name, let directory):
            "time zone '\(name)' is not in the tz database at \(directory)"
        case .noDatabase(let directory):
            "this machine has no tz database at \(directory) (install tzdata, or set TZDIR)"
        case .invalidFile(let name, let reason):
            "time zone '\(name)': its tz database file cannot be read: \(reason)"
        }
    }
}
