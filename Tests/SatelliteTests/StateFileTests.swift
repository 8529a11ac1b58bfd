import OCI
import Satellite
import SatelliteProtocol
import Testing

@Suite struct StateFileTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    @Test func parsesTheDesignExampleInYAML() throws {
        let state = try StateFile.parse(
            """
            schemaVersion: 1
            generation: 7
            upstreams:
              - name: central
                url: http://127.0.0.1:5000
                insecure: false
                username: robot-edge-01
                password: s3cret
            artifacts:
              - upstream: central
                repository: library/alpine
                tag: "3.20"
              - upstream: central
                repository: apps/web
                digest: \(Self.digest)
                platforms: [linux/amd64]
            """)
        #expect(state.generation == 7)
        #expect(state.artifacts[0].tag == (try Tag("3.20")))
        #expect(state.artifacts[1].digest == (try Digest(Self.digest)))
        #expect(state.artifacts[1].platforms == ["linux/amd64"])
        #expect(!state.upstreams[0].description.contains("s3cret"))
    }

    @Test func parsesJSON() throws {
        let state = try StateFile.parse(
            """
            {"schemaVersion": 1, "generation": 1, "upstreams": [{"name": "u", "url": "https://r.example"}],
             "artifacts": [{"upstream": "u", "repository": "a/b", "tag": "v1"}]}
            """)
        #expect(state.artifacts.first?.repository.value == "a/b")
    }

    @Test(arguments: [
        // (file, line, field, words in the reason)
        (
            """
            schemaVersion: 1\ngeneration: 1\nupstreams: []\nartifacts:\n  - upstream: u\n    repository: A/B\n    \
            tag: v1\n
            """,
            6, "artifacts[0].repository", "invalid repository name"
        ),
        (
            """
            schemaVersion: 1\ngeneration: 1\nupstreams:\n  - name: u\n    url: http://x\nartifacts:\n  - upstream: \
            u\n    repository: a\n    tag: -bad\n
            """,
            9, "artifacts[0].tag", "invalid tag"
        ),
        (
            """
            schemaVersion: 1\ngeneration: 1\nupstreams:\n  - name: u\n    url: http://x\nartifacts:\n  - upstream: \
            nope\n    repository: a\n    tag: v1\n
            """,
            7, "artifacts[0].upstream", "not among the upstreams"
        ),
        (
            """
            schemaVersion: 1\ngeneration: 1\nupstreams:\n  - name: u\n    url: http://x\nartifacts:\n  - upstream: \
            u\n    repository: a\n
            """,
            7, "artifacts[0]", "tag, a digest"
        ),
        (
            "schemaVersion: 1\ngeneration: 1\nupstreams:\n  - name: u\n    url: ftp://x\nartifacts: []\n", 5,
            "upstreams[0].url", "http"
        ),
        ("schemaVersion: 2\ngeneration: 1\nupstreams: []\nartifacts: []\n", 1, "schemaVersion", "must be 1"),
        ("schemaVersion: 1\ngeneration: seven\nupstreams: []\nartifacts: []\n", 2, "generation", "whole number"),
        ("schemaVersion: 1\nupstreams: []\nartifacts: []\n", 1, "generation", "required"),
        (
            """
            schemaVersion: 1\ngeneration: 1\nupstreams:\n  - name: u\n    url: http://x\nartifacts:\n  - upstream: \
            u\n    repository: a\n    digest: sha256:123\n
            """,
            9, "artifacts[0].digest", "hex"
        ),
        (
            """
            schemaVersion: 1\ngeneration: 1\nupstreams:\n  - name: u\n    url: http://x\nartifacts:\n  - upstream: \
            u\n    repository: a\n    tag: v1\n    platforms: [linux]\n
            """,
            10, "artifacts[0].platforms[0]", "os/architecture"
        ),
        (
            """
            schemaVersion: 1\ngeneration: 1\nupstreams: []\nartifacts: []\npeers:\n  - url: ftp://x\nsite:\n  \
            name: s\n  credential: 0123456789abcdefgh\n
            """,
            6, "peers[0].url", "http(s)://host:port"
        ),
        (
            """
            schemaVersion: 1\ngeneration: 1\nupstreams: []\nartifacts: []\npeers:\n  - url: \
            http://10.0.0.2:5050\nsite:\n  name: s\n  credential: short\n
            """,
            9, "site.credential", "16 to 512"
        ),
        (
            "schemaVersion: 1\ngeneration: 1\nupstreams: []\nartifacts: []\nsite:\n  name: Hamburg\n", 6, "site.name",
            "lower-case"
        ),
    ])
    func errorsNameFieldAndLine(text: String, line: Int, field: String, reason: String) {
        do {
            _ = try StateFile.parse(text, path: "state.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.field == field, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
            #expect(error.description.hasPrefix("state.yaml:\(line): \(field): "))
        }
    }

    @Test func malformedYAMLGivesALine() {
        do {
            _ = try StateFile.parse("schemaVersion: 1\nartifacts: [\n  - a: b\n", path: "s.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.line != nil, "\(error)")
            #expect(error.reason.contains("not valid YAML"))
        }
    }
}
