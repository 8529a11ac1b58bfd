import OCI
import SatelliteProtocol
import Testing

/// The state's signature policy: where it applies, and what the state refuses, naming the field.
@Suite struct VerificationTests {
    static let key =
        """
        -----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC \
        KEY-----\n
        """
    static let upstream = DesiredState.Upstream(name: "central", url: "http://a")

    static func state(
        _ verification: DesiredState.Verification?, artifact: DesiredState.Verification? = nil
    ) throws -> DesiredState {
        DesiredState(
            generation: 1, upstreams: [upstream],
            artifacts: [
                .init(
                    upstream: "central", repository: try RepositoryName("apps/web"), tag: try Tag("v1"),
                    verification: artifact),
                .init(upstream: "central", repository: try RepositoryName("apps/db"), tag: try Tag("v1")),
            ],
            verification: verification)
    }

    @Test func anArtifactsOwnPolicyTakesThePlaceOfTheStates() throws {
        let state = try Self.state(.init(keys: [Self.key]), artifact: .init(keys: [Self.key], required: false))
        try state.validate()
        #expect(state.verification(for: state.artifacts[0])?.requiresSignature == false)
        #expect(state.verification(for: state.artifacts[1])?.requiresSignature == true, "required unless it says not")
        #expect(try Self.state(nil).verification(for: state.artifacts[1]) == nil)
    }

    @Test func malformedPoliciesAreRefusedNamingTheField() throws {
        for (state, field) in [
            (try Self.state(.init(keys: [])), "verification.keys"),
            (try Self.state(.init(keys: ["ssh-ed25519 AAAA"])), "verification.keys[0]"),
            (try Self.state(nil, artifact: .init(keys: [Self.key, "nope"])), "artifacts[0].verification.keys[1]"),
        ] {
            #expect(throws: DesiredStateError.self) { try state.validate() }
            do {
                try state.validate()
            } catch {
                #expect(error.field == field, "\(error)")
            }
        }
    }
}
