/// Ground Control's own values shared by every process: the admin token's hash, the signing key.
package protocol MetaRepository: Sendable {
    func value(_ key: String) async throws -> String?

    func set(_ key: String, to value: String) async throws

    /// Sets it unless it is set; returns whether this call set it.
    func setIfAbsent(_ key: String, to value: String) async throws -> Bool
}
