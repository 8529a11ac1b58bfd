import Foundation

/// `admission.k8s.io/v1` `AdmissionReview`, as much of it as a mutating webhook reads and writes.
///
/// Reference: kubernetes/api `admission/v1/types.go`; the API server requires the response's
/// `apiVersion`, `kind` and `uid` to be the request's (apiserver `webhook/request/admissionreview.go`).
public enum AdmissionReview {
    public static let apiVersion = "admission.k8s.io/v1"
    public static let kind = "AdmissionReview"

    struct Request: Decodable {
        let apiVersion: String?
        let kind: String?
        let request: Details?
    }

    struct Details: Decodable {
        let uid: String
        let kind: GroupVersionKind
        /// `CREATE`, `UPDATE`, …
        let operation: String?
        /// `ephemeralcontainers` when a debug container is added to a running pod.
        let subResource: String?
    }

    /// The object, read apart from the envelope: one it cannot read still gets the review's uid back.
    struct WithObject: Decodable {
        struct Details: Decodable {
            let object: Workload?
        }

        let request: Details?
    }

    struct GroupVersionKind: Decodable {
        let group: String
        let version: String
        let kind: String
    }

    struct Response: Encodable {
        let apiVersion = AdmissionReview.apiVersion
        let kind = AdmissionReview.kind
        let response: Answer
    }

    struct Answer: Encodable {
        let uid: String
        let allowed = true
        /// `JSONPatch` when `patch` is set.
        let patchType: String?
        /// The JSON Patch, base64 (Encodable's `Data` is).
        let patch: Data?
        let warnings: [String]?
    }
}

/// The parts of a pod or workload a webhook that rewrites images reads: where its pod spec is,
/// each container's image in order, and the object's annotations.
struct Workload: Decodable {
    struct Metadata: Decodable {
        let annotations: [String: String]?
    }

    struct Container: Decodable {
        let image: String?
    }

    struct PodSpec: Decodable {
        let containers: [Container]?
        let initContainers: [Container]?
        let ephemeralContainers: [Container]?
    }

    /// A `spec` that is a pod spec (Pod), holds a pod `template` (Deployment, StatefulSet,
    /// DaemonSet, ReplicaSet, Job) or a `jobTemplate` (CronJob).
    struct Spec: Decodable {
        let containers: [Container]?
        let initContainers: [Container]?
        let ephemeralContainers: [Container]?
        let template: Template?
        let jobTemplate: JobTemplate?

        var podSpec: PodSpec {
            PodSpec(containers: containers, initContainers: initContainers, ephemeralContainers: ephemeralContainers)
        }
    }

    struct Template: Decodable {
        let spec: PodSpec?
    }

    struct JobTemplate: Decodable {
        let spec: JobSpec?
    }

    struct JobSpec: Decodable {
        let template: Template?
    }

    let metadata: Metadata?
    let spec: Spec?
}
