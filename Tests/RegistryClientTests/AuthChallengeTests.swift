import RegistryClient
import Testing

@Suite struct AuthChallengeTests {
    @Test func bearerWithAllParameters() throws {
        let challenge = try #require(
            AuthChallenge(
                header:
                    #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#
            ))
        #expect(challenge.scheme == .bearer)
        #expect(challenge.realm == "https://auth.example/token")
        #expect(challenge.service == "registry.example")
        #expect(challenge.scope == "repository:a/b:pull")
    }

    @Test(arguments: [
        (#"Basic realm="Registry Realm""#, AuthChallenge.Scheme.basic, "Registry Realm"),
        (#"basic realm=plain"#, .basic, "plain"),
        (#"BEARER realm="x\"y", service=s"#, .bearer, #"x"y"#),
    ])
    func schemesAndQuoting(header: String, scheme: AuthChallenge.Scheme, realm: String) throws {
        let challenge = try #require(AuthChallenge(header: header))
        #expect(challenge.scheme == scheme)
        #expect(challenge.realm == realm)
    }

    @Test(arguments: ["", "Negotiate abc", "Digest realm=x"])
    func unknownSchemes(header: String) {
        #expect(AuthChallenge(header: header) == nil)
    }

    @Test func backoffGrowsAndHonoursRetryAfter() {
        let policy = RetryPolicy(attempts: 5, initialDelay: .milliseconds(100), maximumDelay: .seconds(2))
        #expect(policy.delay(beforeRetry: 1) <= .milliseconds(100))
        #expect(policy.delay(beforeRetry: 4) >= .milliseconds(400))
        #expect(policy.delay(beforeRetry: 30) <= .seconds(2))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(1)) == .seconds(1))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(60)) == .seconds(2))
    }
}
