import Foundation
import OCI
import TestSupport
import Testing

/// The admission webhook of a real satellite, over TLS, with reviews shaped as the API server
/// sends them: images the satellite holds (by tag and digest) or may pull through are rewritten to
/// its address, and the rewritten names pull from it; others stay; with `--admission-pin-digests`
/// a pinned tag gains its digest; garbage is allowed with a warning; plain HTTP is refused.
@Suite("Admission webhook") struct AdmissionWebhookTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures/admission"
    ).path

    /// A satellite with `state` serving the webhook with `work`'s webhook.crt and webhook.key,
    /// synced; its registry's port and its webhook's.
    static func startWebhook(
        state: String, work: TemporaryDirectory, arguments: [String] = []
    ) async throws -> (agent: SatelliteAgent, port: Int, webhookPort: Int) {
        let port = try freePort()
        let agent = try await SatelliteAgent(
            state: state,
            arguments: [
                "--advertise", "http://127.0.0.1:\(port)", "--admission-listen", "127.0.0.1:0",
                "--admission-tls-cert", work.appending("webhook.crt"), "--admission-tls-key",
                work.appending("webhook.key"),
            ] + arguments,
            port: port)
        do {
            try await agent.waitForStatus("the first sync") { $0.allSynced }
            let webhookPort = try await pollFor("the webhook's port") { () -> Int? in
                agent.child.output.firstMatch(of: #/satellite: admission webhook at https://[^ ]+:(\d+)/mutate/#)
                    .flatMap { Int($0.1) }
            }
            return (agent, port, webhookPort)
        } catch {
            agent.terminate()
            throw error
        }
    }

    @Test func servedImagesAreRewrittenToTheSatelliteAndPullFromIt() async throws {
        let openssl = try requireTool("openssl", package: "openssl")
        try await withUpstream { work, images, upstream in
            try await upstream.push(layout: images.layout, name: "first", to: "apps/web:1")
            try await upstream.push(layout: images.layout, name: "second", to: "library/app:1")
            let authorization =
                "Basic "
                + Data("\(UpstreamRegistry.username):\(UpstreamRegistry.password)".utf8)
                .base64EncodedString()
            let head = try await httpSend(
                "HEAD", upstream.url + "/v2/apps/web/manifests/1",
                headers: ["Accept": MediaType.ociManifest, "Authorization": authorization])
            let webDigest = try require(head.headers["docker-content-digest"], "apps/web:1's digest")
            try await runChecked(
                openssl,
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                    "-subj", "/CN=satellite-webhook", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", work.appending("webhook.key"), "-out", work.appending("webhook.crt"),
                ])
            let state =
                stateYAML(
                    generation: 1, upstream: upstream,
                    artifacts: ["repository: apps/web\ntag: \"1\"\ndigest: \(webDigest)"])
                + "\nproxy:\n  - upstream: central\n    repositories: [\"library/*\"]\n"
            let (agent, port, webhookPort) = try await Self.startWebhook(
                state: state, work: work, arguments: ["--admission-pin-digests"])
            defer { agent.terminate() }
            let webhook = "https://127.0.0.1:\(webhookPort)"

            let upstreamHost = String(upstream.url.dropFirst("http://".count))
            func review(_ name: String) throws -> Data {
                let text = try String(contentsOfFile: "\(Self.fixtures)/\(name)", encoding: .utf8)
                return Data(
                    text.replacingOccurrences(of: "{{UPSTREAM}}", with: upstreamHost)
                        .replacingOccurrences(of: "{{WEB_DIGEST}}", with: webDigest).utf8)
            }
            func post(_ body: Data) async throws -> [String: Any] {
                let reply = try await httpSend(
                    "POST", webhook + "/mutate", headers: ["Content-Type": "application/json"], body: body,
                    insecure: true)
                #expect(reply.status == 200)
                let object = try JSONSerialization.jsonObject(with: reply.body) as? [String: Any]
                return try require(object?["response"] as? [String: Any], "a response")
            }
            func patch(_ response: [String: Any]) throws -> [String: String] {
                let encoded = try require(response["patch"] as? String, "a patch")
                let operations = try require(
                    try JSONSerialization.jsonObject(with: try require(Data(base64Encoded: encoded), "base64"))
                        as? [[String: Any]], "JSON Patch")
                return Dictionary(
                    operations.compactMap { op in (op["value"] as? String).map { (op["path"] as? String ?? "", $0) } }
                ) { first, _ in first }
            }

            let pod = try await post(try review("pod.json"))
            #expect(pod["uid"] as? String == "0df28fbd-5f5f-11e8-bc74-36e6bb280816" && pod["allowed"] as? Bool == true)
            let changes = try patch(pod)
            let served = "127.0.0.1:\(port)"
            #expect(changes["/spec/containers/0/image"] == "\(served)/central/apps/web:1@\(webDigest)", "\(changes)")
            #expect(changes["/spec/containers/1/image"] == "\(served)/central/library/app:1", "pulled through")
            #expect(changes["/spec/initContainers/0/image"] == "\(served)/central/apps/web@\(webDigest)")
            #expect(changes["/spec/containers/2/image"] == nil && changes["/spec/containers/3/image"] == nil)
            #expect(changes["/metadata/annotations"] == nil, "the pod has no annotations: the map is added")
            // What the pod is sent to pull, the satellite serves.
            for image in [changes["/spec/containers/0/image"], changes["/spec/containers/1/image"]] {
                let path = try require(image, "an image").dropFirst(served.count + 1)
                let (name, reference) =
                    path.contains("@")
                    ? (path.split(separator: "@")[0].split(separator: ":")[0], path.split(separator: "@")[1])
                    : (path.split(separator: ":")[0], path.split(separator: ":")[1])
                let pulled = try await httpGet(
                    "\(agent.baseURL)/v2/\(name)/manifests/\(reference)",
                    headers: ["Accept": "\(MediaType.ociManifest), \(MediaType.ociIndex)"])
                #expect(pulled.status == 200, "\(name):\(reference)")
            }

            let cronJob = try patch(try await post(try review("cronjob.json")))
            #expect(
                cronJob["/spec/jobTemplate/spec/template/spec/containers/0/image"]
                    == "\(served)/central/apps/web:1@\(webDigest)")
            #expect(
                cronJob["/metadata/annotations/harbor-satellite.io~1rewritten-images"]?.contains("apps/web:1") == true)

            let garbage = try await post(Data("{\"kind\": \"AdmissionReview\", \"request\": [1, 2".utf8))
            #expect(garbage["allowed"] as? Bool == true && garbage["patch"] == nil)
            #expect((garbage["warnings"] as? [String])?.isEmpty == false)
            #expect(try await httpGet(webhook + "/healthz", insecure: true).status == 200)
            // TLS only: the listener does not answer plain HTTP.
            let plain = try? await httpGet(webhook.replacingOccurrences(of: "https://", with: "http://") + "/healthz")
            #expect(plain?.status != 200)

            // Renewed in place (as cert-manager and the kubelet do): new connections get the new pair.
            try await runChecked(
                openssl,
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                    "-subj", "/CN=renewed-webhook", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", work.appending("renewed.key"), "-out", work.appending("renewed.crt"),
                ])
            _ = rename(work.appending("renewed.key"), work.appending("webhook.key"))
            _ = rename(work.appending("renewed.crt"), work.appending("webhook.crt"))
            let address = String(webhook.dropFirst("https://".count))
            try await poll("the renewed certificate served", timeout: .seconds(30)) {
                let shown = try await run(
                    openssl, ["s_client", "-connect", address], timeout: .seconds(10))
                return shown.output.contains("renewed-webhook")
            }
            #expect(try await httpGet(webhook + "/healthz", insecure: true).status == 200)
        }
    }

    /// Each setting that cannot work is refused at start, naming it.
    @Test func badWebhookSettingsAreNamed() async throws {
        let work = try TemporaryDirectory("admission-settings")
        defer { work.remove() }
        let file = work.appending("empty")
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        let tls = ["--admission-tls-cert", file, "--admission-tls-key", file]
        for (arguments, complaint) in [
            (
                ["--admission-listen", "127.0.0.1:0", "--advertise", "http://a:1"],
                "the API server calls webhooks over TLS"
            ),
            (["--admission-tls-cert", file], "need --admission-listen"),
            (["--admission-pin-digests"], "need --admission-listen"),
            (["--admission-listen", "nowhere"] + tls, "admission-listen must be host:port"),
            (["--admission-listen", "127.0.0.1:0"] + tls, "needs --advertise"),
            (["--admission-listen", "127.0.0.1:0", "--advertise", "http://a:1"] + tls, "holds no PEM certificate"),
            (
                [
                    "--admission-listen", "127.0.0.1:0", "--advertise", "http://a:1", "--admission-tls-cert", file,
                    "--admission-tls-key", work.appending("missing"),
                ], "admission-tls-key: cannot read"
            ),
        ] {
            let refused = try await run(
                try productPath("satellite"),
                ["run", "--data-dir", work.appending("data"), "--listen", "127.0.0.1:0", "--state-file", file]
                    + arguments, timeout: .seconds(30))
            #expect(refused.status != 0 && refused.error.contains(complaint), "\(arguments): \(refused.error)")
        }
    }
}
