import Foundation
import TestSupport
import Testing
import Yams

/// The Kubernetes manifests as `kubectl kustomize` renders them, each object checked against the
/// schema of the Kubernetes release they target (deploy/kubernetes/schema, made from its
/// published OpenAPI by scripts/kubernetes-schema.py): a known apiVersion and kind, every field
/// set is one the API has with the type it has, every required field there. kubectl is Debian's
/// (1.20, whose kustomize is 2.0.3) on a fresh machine, so the kustomizations use what it reads.
@Suite("Kubernetes manifests") struct KubernetesManifestTests {
    static let deploy = PackageTests.root + "/deploy/kubernetes"
    static let kustomizations = ["satellite/single", "satellite/per-node", "satellite/webhook"]

    static func render(_ directory: String) async throws -> [[String: Any]] {
        let kubectl = try requireTool("kubectl", package: "kubernetes-client")
        let text = try await runChecked(kubectl, ["kustomize", deploy + "/" + directory])
        return try objects(text, from: directory)
    }

    static func objects(_ text: String, from source: String) throws -> [[String: Any]] {
        try Yams.load_all(yaml: text).map { document in
            try #require(document as? [String: Any], "\(source): a document is not a mapping")
        }
    }

    static func schema() throws -> KubernetesSchema {
        let directory = deploy + "/schema"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
        #expect(files.count == 1, "one Kubernetes release is targeted: \(files)")
        let file = try #require(files.first)
        return try KubernetesSchema(Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)))
    }

    @Test(arguments: kustomizations)
    func everyRenderedObjectMeetsTheSchema(_ directory: String) async throws {
        let schema = try Self.schema()
        let objects = try await Self.render(directory)
        #expect(!objects.isEmpty)
        for object in objects {
            let problems = schema.problems(of: object)
            #expect(problems.isEmpty, "\(directory): \(object["kind"] ?? "?") \(problems)")
        }
    }

    @Test func groundControlsManifestMeetsTheSchema() throws {
        let schema = try Self.schema()
        let text = try String(contentsOfFile: Self.deploy + "/ground-control.yaml", encoding: .utf8)
        for object in try Self.objects(text, from: "ground-control.yaml") {
            #expect(schema.problems(of: object).isEmpty, "\(object["kind"] ?? "?") \(schema.problems(of: object))")
        }
    }

    /// The checker itself: what the API server would refuse, it refuses.
    @Test func theSchemaRefusesWhatTheAPIWould() throws {
        let schema = try Self.schema()
        let bad: [(String, String)] = [
            ("apiVersion: v1\nkind: Pod\nmetadata: {name: a}", "not a kind"),
            ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {}", "selector"),
            (
                "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\nspec: {selector: {}, template: {spec: "
                    + "{containers: [{name: a, imagePullPolcy: Always}]}}}", "imagePullPolcy"
            ),
            ("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: web}]}", "port"),
            ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: [x]}", "labels"),
            (
                "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: a}"
                    + "\nwebhooks: [{name: a, clientConfig: {caBundle: 'not base64!'}, sideEffects: None, "
                    + "admissionReviewVersions: [v1]}]", "caBundle"
            ),
        ]
        for (text, field) in bad {
            let object = try #require(try Self.objects(text, from: "test").first)
            let problems = schema.problems(of: object)
            #expect(problems.contains { $0.contains(field) }, "\(text): \(problems)")
        }
    }

    /// The webhook can never keep a pod from starting, and only namespaces that opt in are sent.
    @Test func theWebhookIgnoresFailuresWaitsTwoSecondsAndAsksOnlyLabelledNamespaces() async throws {
        let objects = try await Self.render("satellite/webhook")
        let configuration = try #require(objects.first { $0["kind"] as? String == "MutatingWebhookConfiguration" })
        let webhooks = try #require(configuration["webhooks"] as? [[String: Any]])
        for webhook in webhooks {
            #expect(webhook["failurePolicy"] as? String == "Ignore")
            #expect(webhook["timeoutSeconds"] as? Int == 2)
            let selector = try #require(webhook["namespaceSelector"] as? [String: Any])
            #expect((selector["matchLabels"] as? [String: String])?["harbor-satellite.io/mirror"] == "enabled")
            let service = try #require((webhook["clientConfig"] as? [String: Any])?["service"] as? [String: Any])
            #expect(service["path"] as? String == "/mutate")
        }
        let deployment = try #require(objects.first { $0["kind"] as? String == "Deployment" })
        let text = "\(deployment)"
        #expect(text.contains("SATELLITE_ADMISSION_LISTEN") && text.contains("satellite-webhook-tls"))
    }

    /// Each node's satellite advertises its pod IP, finds the others by the headless Service,
    /// and writes its node's containerd configuration at the paths containerd reads.
    @Test func thePerNodeFormAdvertisesItsPodAndFindsItsPeersByTheHeadlessService() async throws {
        let objects = try await Self.render("satellite/per-node")
        let daemonSet = try #require(objects.first { $0["kind"] as? String == "DaemonSet" })
        let text = "\(daemonSet)"
        #expect(text.contains("status.podIP") && text.contains("http://$(POD_IP):5050"))
        #expect(text.contains("/etc/containerd") && text.contains("/var/lib/harbor-satellite"))
        let peers = try #require(
            objects.first { ($0["metadata"] as? [String: Any])?["name"] as? String == "satellite-peers" })
        #expect((peers["spec"] as? [String: Any])?["clusterIP"] as? String == "None")
        let config = try #require(objects.first { $0["kind"] as? String == "ConfigMap" })
        let settings = try #require((config["data"] as? [String: String])?["satellite.yaml"])
        #expect(settings.contains("site-peers-dns: satellite-peers.harbor-satellite.svc.cluster.local:5050"))
        #expect(settings.contains("configure-runtime: containerd"))
    }
}

/// The subset of an OpenAPI (swagger 2.0) schema the manifests are checked with.
struct KubernetesSchema {
    let kinds: [String: String]
    let definitions: [String: [String: Any]]

    init(_ data: Data) throws {
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        kinds = try #require(document["kinds"] as? [String: String])
        definitions = try #require(document["definitions"] as? [String: [String: Any]])
    }

    /// What the API server would refuse in `object`, by path.
    func problems(of object: [String: Any]) -> [String] {
        guard let apiVersion = object["apiVersion"] as? String, let kind = object["kind"] as? String else {
            return ["no apiVersion or kind"]
        }
        guard let name = kinds["\(apiVersion)/\(kind)"] else { return ["\(apiVersion) \(kind) is not a kind targeted"] }
        var problems: [String] = []
        check(object, against: ["$ref": name], at: kind, into: &problems)
        return problems
    }

    private func check(_ value: Any, against node: [String: Any], at path: String, into problems: inout [String]) {
        if let reference = node["$ref"] as? String {
            guard let definition = definitions[reference] else {
                problems.append("\(path): \(reference) is not in the schema")
                return
            }
            // Quantities are written as numbers or strings (`cpu: 1`, `memory: 64Mi`).
            if reference.hasSuffix(".api.resource.Quantity") {
                if !(value is String || value is Int || value is Double) { problems.append("\(path): not a quantity") }
                return
            }
            check(value, against: definition, at: path, into: &problems)
            return
        }
        if value is NSNull { return }
        switch node["type"] as? String {
        case "string":
            if node["format"] as? String == "int-or-string" {
                if !(value is String || value is Int) { problems.append("\(path): not an integer or a string") }
            } else if let text = value as? String {
                if node["format"] as? String == "byte", Data(base64Encoded: text) == nil {
                    problems.append("\(path): not base64")
                }
            } else {
                problems.append("\(path): not a string")
            }
        case "integer":
            if !(value is Int) { problems.append("\(path): not an integer") }
        case "number":
            if !(value is Int || value is Double) { problems.append("\(path): not a number") }
        case "boolean":
            if !(value is Bool) { problems.append("\(path): not a boolean") }
        case "array":
            guard let items = value as? [Any] else {
                problems.append("\(path): not a list")
                return
            }
            let schema = node["items"] as? [String: Any] ?? [:]
            for (index, item) in items.enumerated() {
                check(item, against: schema, at: "\(path)[\(index)]", into: &problems)
            }
        default:
            checkObject(value, against: node, at: path, into: &problems)
        }
    }

    private func checkObject(_ value: Any, against node: [String: Any], at path: String, into problems: inout [String])
    {
        let properties = node["properties"] as? [String: [String: Any]]
        let additional = node["additionalProperties"] as? [String: Any]
        // A schema that says nothing of its fields (RawExtension, JSON) takes anything.
        guard properties != nil || additional != nil || node["type"] as? String == "object" else { return }
        guard let object = value as? [String: Any] else {
            problems.append("\(path): not a mapping")
            return
        }
        for field in node["required"] as? [String] ?? [] where object[field] == nil {
            problems.append("\(path).\(field): required")
        }
        for (field, fieldValue) in object.sorted(by: { $0.key < $1.key }) {
            if let schema = properties?[field] {
                check(fieldValue, against: schema, at: "\(path).\(field)", into: &problems)
            } else if let additional {
                check(fieldValue, against: additional, at: "\(path).\(field)", into: &problems)
            } else if node["x-kubernetes-preserve-unknown-fields"] as? Bool != true {
                problems.append("\(path).\(field): not a field of the API")
            }
        }
    }
}
