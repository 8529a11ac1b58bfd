import Admission
import Foundation
import TestSupport
import Testing

/// Reviews as the API server sends them, for a pod and each workload kind: the patch rewrites
/// exactly the images the mirror serves, applies cleanly, and annotates; everything else is
/// allowed unchanged, garbage included.
struct AdmissionMutatorTests {
    /// Serves docker.io and ghcr.io/org/*, from `sat.local:5050`, under the upstream's name.
    struct Mirror: ImageMirror {
        var isReady = true
        func mirrored(_ image: ImageName) async -> String? {
            let upstream: String
            switch image.registry {
            case "docker.io": upstream = "hub"
            case "ghcr.io" where image.repository.value.hasPrefix("org/"): upstream = "ghcr"
            default: return nil
            }
            return "sat.local:5050/\(upstream)/\(image.repository)"
                + (image.effectiveTag.map { ":\($0)" } ?? "") + (image.digest.map { "@\($0)" } ?? "")
        }
    }

    static func review(
        kind: String, group: String = "", object: [String: Any], apiVersion: String = "admission.k8s.io/v1",
        operation: String = "CREATE", subResource: String? = nil
    ) throws -> [UInt8] {
        let review: [String: Any] = [
            "apiVersion": apiVersion, "kind": "AdmissionReview",
            "request":
                ([
                    "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
                    "kind": ["group": group, "version": "v1", "kind": kind],
                    "resource": ["group": group, "version": "v1", "resource": kind.lowercased() + "s"],
                    "namespace": "shop", "operation": operation, "object": object,
                    "userInfo": ["username": "admin"], "dryRun": false,
                ] as [String: Any]).merging(subResource.map { ["subResource": $0] } ?? [:]) { first, _ in first },
        ]
        return [UInt8](try JSONSerialization.data(withJSONObject: review))
    }

    static func podSpec(_ images: [String], initImages: [String] = []) -> [String: Any] {
        [
            "containers": images.enumerated().map { ["name": "c\($0.offset)", "image": $0.element] },
            "initContainers": initImages.enumerated().map { ["name": "i\($0.offset)", "image": $0.element] },
            "restartPolicy": "Always",
        ]
    }

    struct Answer {
        let uid: String
        let allowed: Bool
        let patch: [[String: Any]]?
        let warnings: [String]
    }

    static func answer(_ bytes: [UInt8]) throws -> Answer {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(
            object["apiVersion"] as? String == "admission.k8s.io/v1" && object["kind"] as? String == "AdmissionReview")
        let response = try #require(object["response"] as? [String: Any])
        var patch: [[String: Any]]?
        if let encoded = response["patch"] as? String {
            #expect(response["patchType"] as? String == "JSONPatch")
            let data = try #require(Data(base64Encoded: encoded))
            patch = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        }
        return Answer(
            uid: response["uid"] as? String ?? "", allowed: response["allowed"] as? Bool ?? false, patch: patch,
            warnings: response["warnings"] as? [String] ?? [])
    }

    /// Applies the patch as RFC 6902 says (what the API server does).
    static func apply(_ patch: [[String: Any]], to object: Any) throws -> Any {
        try JSONPatch.apply(patch, to: object)
    }

    @Test func aPodsServedImagesAreRewrittenAndAnnotated() async throws {
        let digest = "sha256:" + String(repeating: "d", count: 64)
        let pod: [String: Any] = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "web", "namespace": "shop"],
            "spec": Self.podSpec(
                ["nginx:1.27", "ghcr.io/org/app@\(digest)", "quay.io/other/app:1"], initImages: ["busybox"]),
        ]
        let answer = try Self.answer(
            await AdmissionMutator(mirror: Mirror()).answer(Self.review(kind: "Pod", object: pod)))
        #expect(answer.uid == "705ab4f5-6393-11e8-b7cc-42010a800002" && answer.allowed && answer.warnings.isEmpty)
        let patch = try #require(answer.patch)
        let patched = try #require(try Self.apply(patch, to: pod) as? [String: Any])
        let spec = try #require(patched["spec"] as? [String: Any])
        let images = (spec["containers"] as? [[String: Any]] ?? []).compactMap { $0["image"] as? String }
        #expect(
            images == [
                "sat.local:5050/hub/library/nginx:1.27", "sat.local:5050/ghcr/org/app@\(digest)", "quay.io/other/app:1",
            ])
        #expect(
            (spec["initContainers"] as? [[String: Any]])?.first?["image"] as? String
                == "sat.local:5050/hub/library/busybox:latest")
        #expect(spec["restartPolicy"] as? String == "Always", "the rest is untouched")
        let metadata = try #require(patched["metadata"] as? [String: Any])
        let annotations = try #require(metadata["annotations"] as? [String: String])
        let listed = try #require(annotations[AdmissionMutator.annotation])
        let changes = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: String]]
        #expect(changes?.map { $0["from"] ?? "" } == ["nginx:1.27", "ghcr.io/org/app@\(digest)", "busybox"])
        #expect(metadata["name"] as? String == "web")
    }

    @Test(arguments: [
        ("Deployment", "apps", ["template", "spec"]), ("StatefulSet", "apps", ["template", "spec"]),
        ("DaemonSet", "apps", ["template", "spec"]), ("ReplicaSet", "apps", ["template", "spec"]),
        ("Job", "batch", ["template", "spec"]), ("ReplicationController", "", ["template", "spec"]),
        ("CronJob", "batch", ["jobTemplate", "spec", "template", "spec"]),
    ])
    func eachWorkloadsPodTemplateIsRewritten(_ kind: String, _ group: String, _ path: [String]) async throws {
        var spec: Any = Self.podSpec(["registry-1.docker.io/library/redis:7", "library/redis:7"])
        for key in path.reversed() { spec = [key: spec] }
        let object: [String: Any] = [
            "kind": kind, "metadata": ["name": "w", "annotations": ["team": "shop"]], "spec": spec,
        ]
        let answer = try Self.answer(
            await AdmissionMutator(mirror: Mirror()).answer(Self.review(kind: kind, group: group, object: object)))
        let patch = try #require(answer.patch)
        var node = try #require(try Self.apply(patch, to: object) as? [String: Any])["spec"]
        for key in path { node = (node as? [String: Any])?[key] }
        let images = ((node as? [String: Any])?["containers"] as? [[String: Any]] ?? []).compactMap {
            $0["image"] as? String
        }
        // registry-1.docker.io is a registry of its own to a runtime: not Docker Hub's name.
        #expect(images == ["registry-1.docker.io/library/redis:7", "sat.local:5050/hub/library/redis:7"], "\(kind)")
        #expect(patch.last?["path"] as? String == "/metadata/annotations/harbor-satellite.io~1rewritten-images")
    }

    @Test func unknownImagesOtherKindsAndANotReadySatelliteAreLeftAlone() async throws {
        let pod: [String: Any] = ["kind": "Pod", "spec": Self.podSpec(["quay.io/a/b:1", "not a name"])]
        let unknown = try Self.answer(
            await AdmissionMutator(mirror: Mirror()).answer(Self.review(kind: "Pod", object: pod)))
        #expect(unknown.allowed && unknown.patch == nil && unknown.warnings.isEmpty)

        let served: [String: Any] = ["kind": "Pod", "spec": Self.podSpec(["nginx"])]
        let notReady = try Self.answer(
            await AdmissionMutator(mirror: Mirror(isReady: false)).answer(Self.review(kind: "Pod", object: served)))
        #expect(notReady.allowed && notReady.patch == nil && notReady.warnings.count == 1)

        let configMap: [String: Any] = ["kind": "ConfigMap", "data": ["image": "nginx"]]
        let other = try Self.answer(
            await AdmissionMutator(mirror: Mirror()).answer(Self.review(kind: "ConfigMap", object: configMap)))
        #expect(other.allowed && other.patch == nil)
        // A kind of the same name in another group is not a workload.
        let custom = try Self.answer(
            await AdmissionMutator(mirror: Mirror()).answer(
                Self.review(kind: "Job", group: "example.com", object: served)))
        #expect(custom.allowed && custom.patch == nil)

        // Without metadata, the annotation comes with the metadata.
        let bare = try Self.answer(
            await AdmissionMutator(mirror: Mirror()).answer(Self.review(kind: "Pod", object: served)))
        #expect(bare.patch?.last?["path"] as? String == "/metadata")
    }

    /// A running pod's containers restart when their image changes: an update of a pod changes
    /// nothing but the debug containers added to it; a workload's template is rewritten on update.
    @Test func aRunningPodsContainersAreLeftAloneOnUpdate() async throws {
        var spec = Self.podSpec(["nginx"], initImages: ["busybox"])
        spec["ephemeralContainers"] = [["name": "debug", "image": "busybox:1.36"]]
        let pod: [String: Any] = ["kind": "Pod", "metadata": ["name": "web"], "spec": spec]
        let mutator = AdmissionMutator(mirror: Mirror())
        let update = try Self.answer(await mutator.answer(Self.review(kind: "Pod", object: pod, operation: "UPDATE")))
        #expect(update.allowed && update.patch == nil)
        let debug = try Self.answer(
            await mutator.answer(
                Self.review(kind: "Pod", object: pod, operation: "UPDATE", subResource: "ephemeralcontainers")))
        #expect(
            debug.patch?.compactMap { $0["path"] as? String }.filter { $0.hasSuffix("/image") } == [
                "/spec/ephemeralContainers/0/image"
            ])
        let deployment: [String: Any] = ["kind": "Deployment", "spec": ["template": ["spec": Self.podSpec(["nginx"])]]]
        let updated = try Self.answer(
            await mutator.answer(
                Self.review(kind: "Deployment", group: "apps", object: deployment, operation: "UPDATE")))
        #expect(updated.patch?.first?["path"] as? String == "/spec/template/spec/containers/0/image")
    }

    @Test func garbageIsAllowedWithAWarningAndTheUidWhenItCanBeRead() async throws {
        let mutator = AdmissionMutator(mirror: Mirror())
        let v1beta1 = try Self.answer(
            await mutator.answer(
                Self.review(
                    kind: "Pod", object: ["spec": Self.podSpec(["nginx"])], apiVersion: "admission.k8s.io/v1beta1")))
        #expect(v1beta1.allowed && v1beta1.patch == nil && v1beta1.warnings.count == 1)
        let unreadable = try Self.answer(
            await mutator.answer(Self.review(kind: "Pod", object: ["spec": ["containers": "nginx"]])))
        #expect(
            unreadable.uid == "705ab4f5-6393-11e8-b7cc-42010a800002" && unreadable.allowed && unreadable.patch == nil)
        #expect(unreadable.warnings.first?.contains("cannot be read") == true)

        var generator = SeededGenerator(seed: 29)
        let valid = try Self.review(kind: "Pod", object: ["spec": Self.podSpec(["nginx", "ghcr.io/org/x:1"])])
        for round in 0..<2_000 {
            var bytes = valid
            switch round % 3 {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
            case 1:
                for _ in 0..<3 {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = .random(in: 0...255, using: &generator)
                }
            default:
                bytes = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in
                    .random(in: 0...255, using: &generator)
                }
            }
            let answer = try Self.answer(await mutator.answer(bytes))
            #expect(answer.allowed, "round \(round)")
        }
    }
}
