import Admission
import Testing

/// Image names normalised as container runtimes do (distribution/reference's rules).
struct ImageNameTests {
    @Test(
        arguments: [
            ("nginx", "docker.io", "library/nginx", nil, nil),
            ("nginx:1.27", "docker.io", "library/nginx", "1.27", nil),
            ("library/nginx:1.27", "docker.io", "library/nginx", "1.27", nil),
            ("docker.io/nginx", "docker.io", "library/nginx", nil, nil),
            ("index.docker.io/library/nginx:1", "docker.io", "library/nginx", "1", nil),
            ("bitnami/redis:7", "docker.io", "bitnami/redis", "7", nil),
            ("ghcr.io/org/app:v2", "ghcr.io", "org/app", "v2", nil),
            ("registry.local:5000/team/app:2", "registry.local:5000", "team/app", "2", nil),
            ("localhost/app", "localhost", "app", nil, nil),
            ("localhost:5000/app:1", "localhost:5000", "app", "1", nil),
            ("Harbor.Example.com/proj/app:1", "harbor.example.com", "proj/app", "1", nil),
            ("[::1]:5000/app:1", "[::1]:5000", "app", "1", nil),
            ("ghcr.io/org/app@sha256:" + String(repeating: "a", count: 64), "ghcr.io", "org/app", nil, "a"),
            ("nginx:1.27@sha256:" + String(repeating: "b", count: 64), "docker.io", "library/nginx", "1.27", "b"),
        ] as [(String, String, String, String?, String?)])
    func normalises(_ raw: String, registry: String, repository: String, tag: String?, digestByte: String?) throws {
        let name = try ImageName(parsing: raw)
        #expect(name.registry == registry)
        #expect(name.repository.value == repository)
        #expect(name.tag?.value == tag)
        #expect(name.digest?.string == digestByte.map { "sha256:" + String(repeating: $0, count: 64) })
    }

    @Test func withNeitherTagNorDigestRuntimesPullLatest() throws {
        #expect(try ImageName(parsing: "nginx").effectiveTag?.value == "latest")
        #expect(try ImageName(parsing: "nginx@sha256:" + String(repeating: "c", count: 64)).effectiveTag == nil)
    }

    @Test(arguments: [
        "", " nginx", "nginx latest", "docker.io/Library/nginx", "nginx:bad!tag", "app@sha256:zz",
        "ghcr.io:port/app", "-bad.host/app:1", String(repeating: "a", count: 2000), "ghcr.io/", "ghcr.io//app",
        "nginx:", "ünïcode/app",
    ])
    func refusesWhatNoRuntimePulls(_ raw: String) {
        #expect(throws: ImageNameError.self) { try ImageName(parsing: raw) }
    }
}
