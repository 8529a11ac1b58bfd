/// The Harbor robots Ground Control keeps, a slot per satellite and registry, and the projects
/// a Harbor was found not to have.
package protocol RobotRepository: Sendable {
    /// Every slot, by slot name.
    func all() async throws -> [RobotRow]

    /// The satellite's slots, by registry and slot.
    func of(satellite: String) async throws -> [RobotRow]

    /// The slots a state names (of `satellite`, or of every satellite).
    func issued(to satellite: String?) async throws -> [RobotRow]

    /// How many robots of `registry` are still in Harbor.
    func count(registry: String) async throws -> Int

    /// Creates or replaces the slot.
    func put(_ row: RobotRow) async throws

    func delete(registry: String, satellite: String, slot: String) async throws

    /// Marks the satellite's slots in `registry` as refreshed.
    func clearRefresh(registry: String, satellite: String) async throws

    /// Asks for new secrets for every slot the satellite's state names.
    func requestRefresh(of satellite: String) async throws

    /// Projects each Harbor was found not to have, by registry.
    func missingProjects() async throws -> [String: Set<String>]

    func rememberMissing(_ projects: [String], in registry: String, at: Int64) async throws

    func forgetMissing(_ projects: [String], in registry: String) async throws
}

/// One slot of a satellite's robots in one Harbor, as Ground Control last left it.
package struct RobotRow: Sendable, Equatable {
    package var registry: String
    package var satellite: String
    package var slot: String
    /// Harbor's id; nil until Harbor has answered the create.
    package var robotID: Int64?
    /// The name asked for (without Harbor's prefix).
    package var robotName: String
    /// The name Harbor shows and takes it by (its `robot_name_prefix` setting, `robot$` unless
    /// changed, before `robotName`), as Harbor answered; nil until known.
    package var harborName: String?
    package var epoch: Int64
    /// The projects its permissions cover, sorted (`*` for all).
    package var projects: [String]
    /// Unix seconds; nil or -1 for never.
    package var expiresAt: Int64?
    /// The fleet revision at which the state began to name it; nil while it is not handed out.
    package var issuedRevision: Int64?
    package var refreshRequested: Bool

    /// The name the satellite logs in with: Harbor's, or the default prefix's for rows from
    /// before Harbor's was recorded.
    package var loginName: String { harborName ?? "robot$" + robotName }
}
