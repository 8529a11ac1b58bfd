import Crypto
import DurableFiles
import Foundation

/// The key-encryption key's file (`--secret-key-file`): 32 random bytes in base64 on one line,
/// readable by its owner only. Made at first start when absent; refused when others may read it,
/// as ssh refuses a private key they may read.
public enum SecretKeyFile {
    /// The key in `path`, made there first when there is no file. Processes starting together
    /// (replicas sharing a directory) all end with the one key that was made first.
    public static func loadOrCreate(_ path: String) throws(SecretKeyFileError) -> SymmetricKey {
        if FileManager.default.fileExists(atPath: path) { return try load(path) }
        let key = SymmetricKey(size: .bits256)
        return try make(key, at: path) ? key : load(path)
    }

    /// Writes `key` to `path` unless a file is there; returns whether it did.
    private static func make(_ key: SymmetricKey, at path: String) throws(SecretKeyFileError) -> Bool {
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        do {
            return try PrivateFile.create(Data(text.utf8), at: path)
        } catch {
            throw SecretKeyFileError(path, "cannot be written: \(error)")
        }
    }

    public static func load(_ path: String) throws(SecretKeyFileError) -> SymmetricKey {
        let read: Data?
        do {
            read = try PrivateFile.read(path, limit: 1024)
        } catch {
            throw SecretKeyFileError(path, "\(error)")
        }
        guard let data = read else { throw SecretKeyFileError(path, "cannot be read: there is no such file") }
        let text = String(decoding: data.prefix(1024), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), raw.count == 32 else {
            throw SecretKeyFileError(path, "must hold 32 bytes in base64 on one line, as Ground Control writes it")
        }
        return SymmetricKey(data: raw)
    }
}

/// A key file that cannot be used, naming it.
public struct SecretKeyFileError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ path: String, _ problem: String) { description = "secret-key-file \(path) \(problem)" }
}
