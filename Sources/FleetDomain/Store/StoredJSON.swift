import Foundation
import SatelliteProtocol

/// Values the store keeps as JSON text (artifacts, policies, settings), in the API's encoding.
enum StoredJSON {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try APIJSON.encoder().encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do {
            return try APIJSON.decoder().decode(type, from: Data(text.utf8))
        } catch {
            throw FleetStoreError.corrupt("stored JSON does not decode as \(type): \(error)")
        }
    }

    /// A column holding the value as JSON, or NULL for none.
    static func column<T: Encodable>(_ value: T?) throws -> SQLValue {
        try value.map { .text(try encode($0)) } ?? .null
    }
}
