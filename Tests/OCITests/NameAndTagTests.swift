import OCI
import Testing

@Suite struct RepositoryNameTests {
    @Test(arguments: [
        "alpine", "library/alpine", "a/b/c/d", "my-app", "my--app", "my.app", "my_app", "my__app",
        "0", "a0/b1", "harbor.example/project/image", String(repeating: "a", count: 255),
    ])
    func accepts(raw: String) throws {
        #expect(try RepositoryName(raw).value == raw)
    }

    @Test(arguments: [
        "", "Alpine", "/alpine", "alpine/", "a//b", "-a", "a-", "a___b", "a..b", "a._b", "a b", "a:b",
        "../etc", "a/../b", "a/./b", String(repeating: "a", count: 256), "é",
    ])
    func rejects(raw: String) {
        do {
            _ = try RepositoryName(raw)
            Issue.record("accepted \(raw)")
        } catch {
            #expect(error.code == .nameInvalid)
        }
    }
}

@Suite struct TagTests {
    @Test(arguments: ["latest", "3.20", "v1.0.0-rc.1", "_x", "A", String(repeating: "t", count: 128)])
    func accepts(raw: String) throws {
        #expect(try Tag(raw).value == raw)
    }

    @Test(arguments: ["", ".x", "-x", "a/b", "a:b", "a b", String(repeating: "t", count: 129), "..", "ü"])
    func rejects(raw: String) {
        #expect(throws: OCIError.self) { try Tag(raw) }
    }

    @Test func referenceDistinguishesTagFromDigest() throws {
        let digest = "sha256:" + String(repeating: "0", count: 64)
        #expect(try Reference(digest) == .digest(try Digest(digest)))
        #expect(try Reference("latest") == .tag(try Tag("latest")))
        #expect(throws: OCIError.self) { try Reference("sha256:zz") }
    }
}

@Suite struct MediaTypeTests {
    @Test(arguments: [
        ("application/vnd.oci.image.manifest.v1+json", true),
        ("text/plain; charset=utf-8", true),
        ("application/vnd.example+type", true),
        ("application", false),
        ("application/", false),
        ("/json", false),
        ("a/b/c", false),
        ("app lication/json", false),
    ])
    func validation(value: String, valid: Bool) {
        #expect(MediaType.isValid(value) == valid)
    }

    @Test func nonDistributable() {
        #expect(MediaType.isNonDistributable("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"))
        #expect(MediaType.isNonDistributable("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"))
        #expect(!MediaType.isNonDistributable("application/vnd.oci.image.layer.v1.tar+gzip"))
    }
}
