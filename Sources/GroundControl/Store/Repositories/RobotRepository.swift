/// The Harbor robots Ground Control keeps, a slot per satellite and registry.
package protocol RobotRepository: Sendable {
    /// How many robots of `registry` are still in Harbor.
    func count(registry: String) async throws -> Int

    /// Projects each Harbor was found not to have, by registry.
    func missingProjects() async throws -> [String: Set<String>]
}
