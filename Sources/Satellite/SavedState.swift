import Foundation
import SatelliteProtocol

/// The last state Ground Control sent, as the satellite keeps it for restarts: trusted only while
/// its signature (`<file>.sig`) verifies with the key received at registration, so a state changed
/// on disk is never applied, nor its generation used to ask Ground Control for changes.
enum SavedState {
    /// Throws, naming the file, unless `signature` verifies `document` with `publicKey`.
    static func verify(_ document: Data, path: String, publicKey: String?) throws(StateFile.LoadError) {
        guard let publicKey else {
            throw StateFile.LoadError(path: path, line: nil, field: nil, reason: "not registered with Ground Control: no key to check the saved state with; refused")
        }
        guard let signature = try? String(contentsOfFile: path + ".sig", encoding: .utf8),
              StateSignature.isValid(signature.trimmingCharacters(in: .whitespacesAndNewlines), for: document, publicKey: publicKey)
        else {
            throw StateFile.LoadError(
                path: path, line: nil, field: nil,
                reason: "its signature does not verify with Ground Control's key: the saved state was changed or damaged; refused, serving what the store holds until Ground Control sends a fresh state")
        }
    }

    /// The saved state if its signature verifies, else nil.
    static func load(_ path: String, publicKey: String?) -> DesiredState? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return nil }
        do throws(StateFile.LoadError) {
            try verify(data, path: path, publicKey: publicKey)
            return try StateFile.parse(String(decoding: data, as: UTF8.self), path: path)
        } catch {
            return nil
        }
    }
}
