import DurableFiles
import Foundation
import SatelliteProtocol

/// The last state Ground Control sent, as the satellite keeps it for restarts: one owner-only
/// file, the signature on its first line and the document's exact bytes after it, so the two are
/// replaced together. It is trusted only while the signature verifies with the key received at
/// registration: a state changed on disk is never applied, nor its generation used to ask Ground
/// Control for changes.
package enum SavedState {
    package static func path(in dataDirectory: DataDirectory) -> String { dataDirectory.savedState }

    /// Where versions before 0.2 kept the document and its signature, as two files.
    package static func legacyPaths(in dataDirectory: DataDirectory) -> (document: String, signature: String) {
        dataDirectory.legacySavedState
    }

    /// What a restart finds.
    package enum Found {
        case nothing
        case verified(DesiredState, document: Data)
        /// A saved state that must not be used, and why.
        case refused(String)
    }

    /// Marks a saved state that a bundle brought: Ground Control signs those without registry
    /// credentials, so the link asks for the full state once it can, not only for a newer one.
    package static func bundleMarkerPath(in dataDirectory: DataDirectory) -> String { dataDirectory.bundleMarker }

    package static func isFromBundle(in dataDirectory: DataDirectory) -> Bool {
        FileManager.default.fileExists(atPath: bundleMarkerPath(in: dataDirectory))
    }

    /// Replaces the saved state (temp file, fsync, rename).
    package static func save(
        _ document: Data, signature: String, fromBundle: Bool = false, in dataDirectory: DataDirectory
    ) throws {
        if fromBundle {
            try DurableFile.write(Data(), to: bundleMarkerPath(in: dataDirectory), mode: .created(0o600))
        }
        try DurableFile.write(
            Data((signature + "\n").utf8) + document, to: path(in: dataDirectory), mode: .created(0o600))
        if !fromBundle { unlink(bundleMarkerPath(in: dataDirectory)) }
        let legacy = legacyPaths(in: dataDirectory)
        unlink(legacy.document)
        unlink(legacy.signature)
    }

    /// Forgets the saved state, so that a restart has nothing to apply.
    package static func remove(in dataDirectory: DataDirectory) {
        unlink(path(in: dataDirectory))
    }

    /// The saved document and its signature as received, unchecked (an export passes them on,
    /// and the import checks them).
    package static func raw(in dataDirectory: DataDirectory) -> (Data, String)? {
        guard let contents = FileManager.default.contents(atPath: path(in: dataDirectory)),
            let newline = contents.firstIndex(of: UInt8(ascii: "\n"))
        else { return nil }
        return (
            Data(contents[(newline + 1)...]),
            String(decoding: contents[..<newline], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        )
    }

    /// The saved state, checked against `publicKey`.
    package static func load(in dataDirectory: DataDirectory, publicKey: String) -> Found {
        let path = path(in: dataDirectory)
        let document: Data
        let signature: String
        if let contents = FileManager.default.contents(atPath: path) {
            guard let newline = contents.firstIndex(of: UInt8(ascii: "\n")) else {
                return .refused(
                    """
                    \(path): damaged (no signature line); refused, serving what the store holds until Ground \
                    Control sends a fresh state
                    """
                )
            }
            signature = String(decoding: contents[..<newline], as: UTF8.self)
            document = Data(contents[(newline + 1)...])
        } else {
            let legacy = legacyPaths(in: dataDirectory)
            guard let old = FileManager.default.contents(atPath: legacy.document) else { return .nothing }
            document = old
            signature =
                (FileManager.default.contents(atPath: legacy.signature)).map { String(decoding: $0, as: UTF8.self) }
                ?? ""
        }
        guard
            StateSignature.isValid(
                signature.trimmingCharacters(in: .whitespacesAndNewlines), for: document, publicKey: publicKey)
        else {
            return .refused(
                """
                \(path): its signature does not verify with Ground Control's key: the saved state was changed or \
                damaged; refused, serving what the store holds until Ground Control sends a fresh state
                """
            )
        }
        do {
            return .verified(
                try StateFile.parse(String(decoding: document, as: UTF8.self), path: path), document: document)
        } catch {
            return .refused("\(error)")
        }
    }
}
