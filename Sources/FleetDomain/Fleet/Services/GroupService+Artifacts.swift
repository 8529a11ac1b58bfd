import FleetAPI

extension GroupService {
    /// Adds one artifact to a group, as the demand list offers: a change like any other `put`
    /// (a rollout policy applies), made only if the group was not changed meanwhile, and tried
    /// again on its new revision when it was. Naming one the group lists already changes nothing.
    /// - Returns: the group, and whether the artifact was added.
    public func addArtifact(
        _ addition: GroupArtifactAddition, to name: ResourceName, by actor: Fleet.Actor = .admin
    ) async throws -> (GroupView, added: Bool) {
        let wanted = addition.artifact.identity
        for _ in 1...3 {
            let group = try await named(name)
            if let registry = addition.registry, registry != group.registry {
                throw GroundControlError(
                    .invalidField,
                    """
                    registry: group '\(name)' takes its artifacts from '\(group.registry)', not \
                    '\(registry.prefix(80))'
                    """
                )
            }
            var definition = group.definition
            guard !definition.artifacts.contains(where: { $0.identity == wanted }) else { return (group, false) }
            definition.artifacts.append(wanted)
            do {
                let (view, _) = try await put(name, definition, expectedRevision: group.revision, by: actor)
                return (view, true)
            } catch let error as GroundControlError where error.code == .changed {
                continue
            }
        }
        throw GroundControlError(.changed, "group '\(name)' kept changing while the artifact was added; try again")
    }
}
