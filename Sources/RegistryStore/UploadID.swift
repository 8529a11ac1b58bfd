import Foundation

/// The identifier of an upload session: a lowercase UUID the store made.
public struct UploadID: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    /// Makes a fresh random id.
    public init() {
        value = UUID().uuidString.lowercased()
    }

    /// Validates an id from a URL; only the shape of ids this store makes is accepted.
    public init?(_ raw: String) {
        guard let uuid = UUID(uuidString: raw), uuid.uuidString.lowercased() == raw else { return nil }
        value = raw
    }

    public var description: String { value }
}
