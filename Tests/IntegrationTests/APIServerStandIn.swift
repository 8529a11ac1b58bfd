import Foundation
import TestSupport

/// What the Kubernetes API server does with a MutatingWebhookConfiguration when an object is
/// written, for the parts the satellite's webhook meets. The API server cannot run here; each
/// behaviour is taken from its source, kubernetes/kubernetes,
/// staging/src/k8s.io/apiserver/pkg/admission/plugin/webhook/:
/// - predicates/rules/rules.go: a rule matches by operation, API group, version, resource and
///   subresource (`pods` is not `pods/ephemeralcontainers`), `*` matching any;
/// - predicates/namespace/matcher.go: an object in a namespace is sent only when the namespace's
///   labels match `namespaceSelector`; an empty selector matches every namespace; a
///   cluster-scoped object other than a namespace is always sent;
/// - mutating/dispatcher.go: the call is bounded by `timeoutSeconds`; a call that fails
///   (connection, TLS checked against `caBundle`, timeout, an invalid answer) lets the write go on
///   unchanged under `failurePolicy: Ignore` ("failing open") and refuses it under `Fail`;
///   `allowed: false` refuses it; a JSONPatch answer is applied to the object;
/// - request/admissionreview.go (`VerifyAdmissionResponse`): a v1 answer must be an
///   `admission.k8s.io/v1` `AdmissionReview` whose `response.uid` is the request's, with `patch`
///   and `patchType` together or neither.
/// The Service in `clientConfig` is reached at `endpoint` (as kube-proxy would), under its DNS name
/// for TLS. Not modelled: objectSelector, matchConditions, reinvocation, matchPolicy Equivalent.
struct APIServerStandIn {
    struct Webhook {
        let name: String
        let rules: [[String: Any]]
        let namespaceSelector: [String: Any]
        let failurePolicy: String
        let timeoutSeconds: Int
        let serviceHost: String
        let servicePort: Int
        let path: String
        let caBundle: Data
    }

    /// The resource a write is to, as the API server names it.
    struct Resource {
        var group = ""
        var version = "v1"
        var resource: String
        var subresource = ""
    }

    enum Outcome {
        /// The object as stored, which webhooks were called, and which failed open.
        case admitted([String: Any], called: [String], failedOpen: [String])
        case refused(String)
    }

    let webhooks: [Webhook]
    /// Where the Services' endpoints are: `host:port` by `name.namespace.svc:port`.
    let endpoint: String
    let work: TemporaryDirectory

    /// The webhooks of a rendered MutatingWebhookConfiguration.
    init(configuration: [String: Any], endpoint: String, work: TemporaryDirectory) throws {
        let hooks = try require(configuration["webhooks"] as? [[String: Any]], "webhooks")
        webhooks = try hooks.map { hook in
            let client = try require(hook["clientConfig"] as? [String: Any], "clientConfig")
            let service = try require(client["service"] as? [String: Any], "clientConfig.service")
            let bundle = try require(client["caBundle"] as? String, "caBundle")
            return Webhook(
                name: try require(hook["name"] as? String, "name"), rules: hook["rules"] as? [[String: Any]] ?? [],
                namespaceSelector: hook["namespaceSelector"] as? [String: Any] ?? [:],
                // The API's defaults: Fail, 10 s, port 443.
                failurePolicy: hook["failurePolicy"] as? String ?? "Fail",
                timeoutSeconds: hook["timeoutSeconds"] as? Int ?? 10,
                serviceHost: "\(service["name"] ?? "").\(service["namespace"] ?? "").svc",
                servicePort: service["port"] as? Int ?? 443, path: service["path"] as? String ?? "/",
                caBundle: try require(Data(base64Encoded: bundle), "caBundle is base64"))
        }
        self.endpoint = endpoint
        self.work = work
    }

    /// Writes `object` (`operation` CREATE or UPDATE) through the webhooks.
    func write(
        _ object: [String: Any], operation: String, resource: Resource, namespace: String,
        namespaceLabels: [String: String]
    ) async throws -> Outcome {
        var current = object
        var called: [String] = []
        var failedOpen: [String] = []
        for hook in webhooks
        where Self.matches(hook.rules, operation: operation, resource)
            && Self.selects(hook.namespaceSelector, namespaceLabels)
        {
            called.append(hook.name)
            switch await call(hook, object: current, operation: operation, resource: resource, namespace: namespace) {
            case .success(let answer):
                guard answer.allowed else { return .refused("\(hook.name) denied the request") }
                if let patch = answer.patch {
                    current = try require(try JSONPatch.apply(patch, to: current) as? [String: Any])
                }
            case .failure(let error):
                guard hook.failurePolicy == "Ignore" else {
                    return .refused("failed calling webhook \(hook.name): \(error)")
                }
                failedOpen.append(hook.name)
            }
        }
        return .admitted(current, called: called, failedOpen: failedOpen)
    }

    struct Answer {
        let allowed: Bool
        let patch: [[String: Any]]?
    }

    private func call(
        _ hook: Webhook, object: [String: Any], operation: String, resource: Resource, namespace: String
    ) async -> Result<Answer, TestSupportError> {
        let uid = UUID().uuidString.lowercased()
        let gvk = ["group": resource.group, "version": resource.version, "kind": object["kind"] ?? ""]
        let gvr = ["group": resource.group, "version": resource.version, "resource": resource.resource]
        var request: [String: Any] = [
            "uid": uid, "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
            "namespace": namespace, "operation": operation, "object": object, "dryRun": false,
            "userInfo": ["username": "system:serviceaccount:kube-system:replicaset-controller"],
        ]
        if !resource.subresource.isEmpty {
            request["subResource"] = resource.subresource
            request["requestSubResource"] = resource.subresource
        }
        do {
            let review: [String: Any] = [
                "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request,
            ]
            let body = work.appending("review-\(uid).json")
            let ca = work.appending("ca-\(uid).pem")
            try JSONSerialization.data(withJSONObject: review).write(to: URL(fileURLWithPath: body))
            try hook.caBundle.write(to: URL(fileURLWithPath: ca))
            let curl = try requireTool("curl", package: "curl")
            let reply = try await run(
                curl,
                [
                    "-sS", "--fail", "--max-time", String(hook.timeoutSeconds), "--cacert", ca,
                    "--connect-to", "\(hook.serviceHost):\(hook.servicePort):\(endpoint)",
                    "-H", "Content-Type: application/json", "--data-binary", "@\(body)",
                    "https://\(hook.serviceHost):\(hook.servicePort)\(hook.path)",
                ])
            guard reply.status == 0 else { return .failure(TestSupportError("calling: \(reply.error)")) }
            return Self.verify(Data(reply.output.utf8), uid: uid)
        } catch {
            return .failure(TestSupportError("\(error)"))
        }
    }

    /// `VerifyAdmissionResponse` for a mutating webhook's v1 answer.
    static func verify(_ data: Data, uid: String) -> Result<Answer, TestSupportError> {
        guard let review = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let response = review["response"] as? [String: Any]
        else { return .failure(TestSupportError("webhook response was absent")) }
        guard response["uid"] as? String == uid else { return .failure(TestSupportError("expected response.uid")) }
        guard review["apiVersion"] as? String == "admission.k8s.io/v1", review["kind"] as? String == "AdmissionReview"
        else { return .failure(TestSupportError("expected webhook response of admission.k8s.io/v1 AdmissionReview")) }
        let patch = response["patch"] as? String
        let patchType = response["patchType"] as? String
        guard (patch?.isEmpty ?? true) == (patchType == nil) else {
            return .failure(TestSupportError("patch and patchType come together"))
        }
        var operations: [[String: Any]]?
        if let patch, !patch.isEmpty {
            guard patchType == "JSONPatch", let decoded = Data(base64Encoded: patch),
                let parsed = (try? JSONSerialization.jsonObject(with: decoded)) as? [[String: Any]]
            else { return .failure(TestSupportError("received undecodable patch in webhook response")) }
            operations = parsed
        }
        return .success(Answer(allowed: response["allowed"] as? Bool ?? false, patch: operations))
    }

    /// rules.go: any rule matching operation, group, version, resource and subresource.
    static func matches(_ rules: [[String: Any]], operation: String, _ resource: Resource) -> Bool {
        func any(_ items: Any?, _ wanted: String) -> Bool {
            (items as? [String] ?? []).contains { $0 == "*" || $0 == wanted }
        }
        return rules.contains { rule in
            any(rule["operations"], operation) && any(rule["apiGroups"], resource.group)
                && any(rule["apiVersions"], resource.version)
                && (rule["resources"] as? [String] ?? []).contains { entry in
                    let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
                    let sub = parts.count == 2 ? parts[1] : ""
                    return (parts[0] == "*" || parts[0] == resource.resource)
                        && (sub == "*" || sub == resource.subresource)
                }
        }
    }

    /// A label selector (matchLabels and matchExpressions) over a namespace's labels; empty
    /// selects everything.
    static func selects(_ selector: [String: Any], _ labels: [String: String]) -> Bool {
        let required = selector["matchLabels"] as? [String: String] ?? [:]
        guard required.allSatisfy({ labels[$0.key] == $0.value }) else { return false }
        return (selector["matchExpressions"] as? [[String: Any]] ?? []).allSatisfy { expression in
            let key = expression["key"] as? String ?? ""
            let values = expression["values"] as? [String] ?? []
            switch expression["operator"] as? String {
            case "In": return labels[key].map(values.contains) ?? false
            case "NotIn": return !(labels[key].map(values.contains) ?? false)
            case "Exists": return labels[key] != nil
            case "DoesNotExist": return labels[key] == nil
            default: return false
            }
        }
    }
}
