import Foundation
import OCI
import TestSupport
import Testing

extension AdmissionWebhookTests {
    /// The webhook as the cluster calls it: the MutatingWebhookConfiguration that
    /// `deploy/kubernetes/satellite/webhook` renders, applied by a stand-in for the API server
    /// (`APIServerStandIn`) to writes in a namespace that opts in and one that does not, to pods
    /// created and updated, a debug container and a Deployment; and with the webhook away, hung or
    /// under another CA, every write still goes through unchanged within the 2 s it allows.
    @Test func theClustersConfigurationSendsOnlyOptedInWritesAndNeverBlocksOne() async throws {
        let openssl = try requireTool("openssl", package: "openssl")
        let python = try requireTool("python3", package: "python3")
        try await withUpstream { work, testImages, upstream in
            try await upstream.push(layout: testImages.layout, name: "first", to: "apps/web:1")
            let service = "satellite-webhook.harbor-satellite.svc"
            for name in ["webhook", "stranger"] {
                try await runChecked(
                    openssl,
                    [
                        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                        "-subj", "/CN=\(service)", "-addext", "subjectAltName=DNS:\(service)",
                        "-keyout", work.appending("\(name).key"), "-out", work.appending("\(name).crt"),
                    ])
            }
            let state = stateYAML(generation: 1, upstream: upstream, artifacts: ["repository: apps/web\ntag: \"1\""])
            let (agent, port, webhookPort) = try await Self.startWebhook(state: state, work: work)
            defer { agent.terminate() }

            // The configuration as shipped, with the caBundle an operator puts in.
            let rendered = try await KubernetesManifestTests.render("satellite/webhook")
            var configuration = try #require(
                rendered.first { $0["kind"] as? String == "MutatingWebhookConfiguration" })
            func withCA(_ file: String) throws -> [String: Any] {
                let pem = try Data(contentsOf: URL(fileURLWithPath: work.appending(file)))
                var copy = configuration
                copy["webhooks"] = (configuration["webhooks"] as? [[String: Any]] ?? []).map { hook in
                    var hook = hook
                    var client = hook["clientConfig"] as? [String: Any] ?? [:]
                    client["caBundle"] = pem.base64EncodedString()
                    hook["clientConfig"] = client
                    return hook
                }
                return copy
            }
            configuration = try withCA("webhook.crt")
            let cluster = try APIServerStandIn(
                configuration: configuration, endpoint: "127.0.0.1:\(webhookPort)", work: work)
            let upstreamImage = "\(upstream.host)/apps/web:1"
            let served = "127.0.0.1:\(port)/central/apps/web:1"
            let optedIn = ["harbor-satellite.io/mirror": "enabled", "kubernetes.io/metadata.name": "shop"]
            let pod: [String: Any] = [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "web", "namespace": "shop"],
                "spec": ["containers": [["name": "web", "image": upstreamImage]]],
            ]
            func images(_ outcome: APIServerStandIn.Outcome, _ path: [String] = ["spec", "containers"]) -> [String] {
                guard case .admitted(let object, _, _) = outcome else { return [] }
                var node: Any = object
                for key in path { node = (node as? [String: Any])?[key] as Any }
                return (node as? [[String: Any]] ?? []).compactMap { $0["image"] as? String }
            }
            func called(_ outcome: APIServerStandIn.Outcome) -> [String] {
                guard case .admitted(_, let called, _) = outcome else { return ["refused"] }
                return called
            }

            // A namespace that opted in: the pod's image is the satellite's.
            let created = try await cluster.write(
                pod, operation: "CREATE", resource: .init(resource: "pods"), namespace: "shop",
                namespaceLabels: optedIn)
            #expect(images(created) == [served] && called(created) == ["images.harbor-satellite.io"])
            // One that did not: never sent.
            let elsewhere = try await cluster.write(
                pod, operation: "CREATE", resource: .init(resource: "pods"), namespace: "other",
                namespaceLabels: ["kubernetes.io/metadata.name": "other"])
            #expect(images(elsewhere) == [upstreamImage] && called(elsewhere).isEmpty)
            // A running pod's update is never sent; a debug container added to it is.
            let updated = try await cluster.write(
                pod, operation: "UPDATE", resource: .init(resource: "pods"), namespace: "shop", namespaceLabels: optedIn
            )
            #expect(called(updated).isEmpty)
            var debugged = pod
            debugged["spec"] = [
                "containers": [["name": "web", "image": served]],
                "ephemeralContainers": [["name": "debug", "image": upstreamImage]],
            ]
            let debug = try await cluster.write(
                debugged, operation: "UPDATE", resource: .init(resource: "pods", subresource: "ephemeralcontainers"),
                namespace: "shop", namespaceLabels: optedIn)
            #expect(images(debug, ["spec", "ephemeralContainers"]) == [served])
            // A Deployment's pod template.
            let deployment: [String: Any] = [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "shop"],
                "spec": [
                    "selector": ["matchLabels": ["app": "web"]],
                    "template": [
                        "metadata": ["labels": ["app": "web"]],
                        "spec": ["containers": [["name": "web", "image": upstreamImage]]],
                    ],
                ],
            ]
            let rolled = try await cluster.write(
                deployment, operation: "CREATE", resource: .init(group: "apps", resource: "deployments"),
                namespace: "shop", namespaceLabels: optedIn)
            #expect(images(rolled, ["spec", "template", "spec", "containers"]) == [served])

            // The webhook hung: the write goes through unchanged once its 2 s are up.
            let hung = try ChildProcess(
                python,
                [
                    "-c",
                    """
                    import socket
                    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
                    print(s.getsockname()[1], flush=True)
                    held = []
                    while True: held.append(s.accept())
                    """,
                ], logDirectory: work.path)
            defer { Task { await hung.stop() } }
            let hungPort = try await pollFor("the hung endpoint") {
                Int(hung.output.split(separator: "\n").first ?? "")
            }
            let started = ContinuousClock.now
            let slow = try await APIServerStandIn(
                configuration: configuration, endpoint: "127.0.0.1:\(hungPort)", work: work
            ).write(
                pod, operation: "CREATE", resource: .init(resource: "pods"), namespace: "shop", namespaceLabels: optedIn
            )
            let waited = ContinuousClock.now - started
            #expect(images(slow) == [upstreamImage] && waited >= .seconds(1.5) && waited < .seconds(5), "\(waited)")
            // Under another CA, and gone: unchanged, failing open.
            let stranger = try await APIServerStandIn(
                configuration: try withCA("stranger.crt"), endpoint: "127.0.0.1:\(webhookPort)", work: work
            ).write(
                pod, operation: "CREATE", resource: .init(resource: "pods"), namespace: "shop", namespaceLabels: optedIn
            )
            #expect(images(stranger) == [upstreamImage])
            if case .admitted(_, _, let failedOpen) = stranger { #expect(failedOpen == ["images.harbor-satellite.io"]) }
            agent.terminate()
            let gone = try await cluster.write(
                pod, operation: "CREATE", resource: .init(resource: "pods"), namespace: "shop", namespaceLabels: optedIn
            )
            #expect(images(gone) == [upstreamImage])
            // The stand-in keeps to the policy: under Fail, the same write would be refused.
            var failing = configuration
            failing["webhooks"] = (configuration["webhooks"] as? [[String: Any]] ?? []).map { hook in
                var hook = hook
                hook["failurePolicy"] = "Fail"
                return hook
            }
            let refused = try await APIServerStandIn(
                configuration: failing, endpoint: "127.0.0.1:\(webhookPort)", work: work
            ).write(
                pod, operation: "CREATE", resource: .init(resource: "pods"), namespace: "shop", namespaceLabels: optedIn
            )
            guard case .refused = refused else {
                Issue.record("failurePolicy Fail let a write through a webhook that is gone")
                return
            }
        }
    }
}
