import DurableFiles
import Foundation

/// What a satellite keeps after registering: who it is to Ground Control, the credential it
/// authenticates with, and the key that must have signed its desired state. Kept in
/// `ground-control.json` in the data directory, readable by its owner only (0600).
public struct GroundControlCredentials: Codable, Sendable, Equatable {
    public var url: String
    public var name: String
    public var credential: String
    /// Ed25519, raw 32 bytes in base64.
    public var publicKey: String

    static func path(in dataDirectory: DataDirectory) -> String { dataDirectory.credentials }

    static func load(from dataDirectory: DataDirectory) throws -> GroundControlCredentials? {
        let path = path(in: dataDirectory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try JSONDecoder().decode(
            GroundControlCredentials.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes the file whole (temp file, then rename), created with mode 0600.
    func save(to dataDirectory: DataDirectory) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try DurableFile.write(try encoder.encode(self), to: Self.path(in: dataDirectory), mode: .created(0o600))
    }
}
