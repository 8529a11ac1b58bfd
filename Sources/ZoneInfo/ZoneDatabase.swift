import Foundation
import Synchronization

/// The machine's tz database (`/usr/share/zoneinfo`, or `TZDIR` as the C library reads it), its
/// zones read once each.
///
/// A zone's name comes from a desired state or an admin's request: it is checked to be a tz
/// name before it becomes a path, and a file it reaches through links outside the database is
/// refused. `UTC` needs no database.
public final class ZoneDatabase: Sendable {
    public static let defaultDirectory = "/usr/share/zoneinfo"
    /// Real TZif files are a few KiB; nothing larger is read.
    static let maximumFileSize = 256 * 1024

    public let directory: String
    private let cache = Mutex<[String: ZoneRules]>([:])

    public init(directory: String) {
        self.directory = directory
    }

    /// The database the C library would read: `TZDIR` when set, the usual place otherwise.
    public static func system(environment: [String: String] = ProcessInfo.processInfo.environment) -> ZoneDatabase {
        ZoneDatabase(directory: environment["TZDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultDirectory)
    }

    /// The zone's rules. Throws when the name is not a tz name, the zone is unknown here, or
    /// there is no database at all.
    public func rules(for name: String) throws(ZoneInfoError) -> ZoneRules {
        guard Self.isZoneName(name) else { throw .invalidName(name) }
        if name == "UTC" { return .fixed("UTC", offset: 0) }
        if let known = cache.withLock({ $0[name] }) { return known }
        let rules = try read(name)
        cache.withLock { $0[name] = rules }
        return rules
    }

    private func read(_ name: String) throws(ZoneInfoError) -> ZoneRules {
        guard let root = realpath(directory, nil) else { throw .noDatabase(directory: directory) }
        let rootPath = String(cString: root)
        free(root)
        guard let resolved = realpath(rootPath + "/" + name, nil) else {
            throw .unknownZone(name, directory: directory)
        }
        let path = String(cString: resolved)
        free(resolved)
        // Links inside the database are how it names aliases; one leading out of it is not a zone.
        guard path.hasPrefix(rootPath.hasSuffix("/") ? rootPath : rootPath + "/") else {
            throw .unknownZone(name, directory: directory)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unknownZone(name, directory: directory) }
        defer { try? handle.close() }
        let data: Data?
        do {
            data = try handle.read(upToCount: Self.maximumFileSize + 1)
        } catch {
            // A directory (`Europe`) opens but does not read.
            throw .unknownZone(name, directory: directory)
        }
        guard let data, data.count <= Self.maximumFileSize else {
            throw .invalidFile(name, reason: "it is empty or larger than \(Self.maximumFileSize) bytes")
        }
        return try ZoneRules(tzif: Array(data), name: name)
    }

    /// `Area/Location` names as the tz database spells them: letters, digits, `_`, `+`, `-`, at
    /// most 64 bytes, parts separated by `/`, none empty or starting with a dot or a dash.
    public static func isZoneName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64 else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { part in
            guard let first = part.utf8.first, first != UInt8(ascii: "."), first != UInt8(ascii: "-") else {
                return false
            }
            return part.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            }
        }
    }
}
