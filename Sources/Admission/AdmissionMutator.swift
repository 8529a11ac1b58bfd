import Foundation

/// What the satellite serves, as the webhook asks it.
public protocol ImageMirror: Sendable {
    /// Whether it can serve now: a pod must never be sent to a satellite that cannot answer.
    var isReady: Bool { get }
    /// The image as pods should pull it from the satellite, or nil when the satellite neither
    /// holds it nor may fetch it.
    func mirrored(_ image: ImageName) async -> String?
}

/// Answers `AdmissionReview`s: each image of a pod or workload that the mirror serves is
/// rewritten to it with a JSON Patch, and the object is annotated with what changed. It always
/// allows: an image the mirror does not serve, a satellite that is not ready, an object of
/// another kind and a review it cannot read all get an answer without a patch (the last with a
/// warning), never an error a pod could fail on.
public struct AdmissionMutator: Sendable {
    /// Lists the images rewritten, as JSON: `[{"from": "nginx:1.27", "to": "sat:5050/…"}]`.
    public static let annotation = "harbor-satellite.io/rewritten-images"

    let mirror: any ImageMirror

    public init(mirror: any ImageMirror) {
        self.mirror = mirror
    }

    /// The response body for a request body.
    public func answer(_ body: some Collection<UInt8>) async -> [UInt8] {
        let data = Data(body)
        let review: AdmissionReview.Request
        do {
            review = try JSONDecoder().decode(AdmissionReview.Request.self, from: data)
        } catch {
            return Self.encode(
                uid: "", warning: "harbor-satellite: the AdmissionReview cannot be read; nothing changed")
        }
        guard let request = review.request else {
            return Self.encode(
                uid: "", warning: "harbor-satellite: the AdmissionReview has no request; nothing changed")
        }
        guard review.apiVersion == AdmissionReview.apiVersion, review.kind == AdmissionReview.kind else {
            return Self.encode(
                uid: request.uid,
                warning: "harbor-satellite: only admission.k8s.io/v1 reviews are read; nothing changed")
        }
        let kind = WorkloadImages.key(group: request.kind.group, kind: request.kind.kind)
        guard WorkloadImages.podSpecPaths[kind] != nil else { return Self.encode(uid: request.uid) }
        guard let object = (try? JSONDecoder().decode(AdmissionReview.WithObject.self, from: data))?.request?.object,
            let images = WorkloadImages.images(of: object, kind: kind)
        else {
            return Self.encode(
                uid: request.uid, warning: "harbor-satellite: the \(request.kind.kind) cannot be read; nothing changed")
        }
        guard mirror.isReady else {
            return Self.encode(uid: request.uid, warning: "harbor-satellite: not ready; images left as they are")
        }
        let fields = WorkloadImages.fields(kind: kind, operation: request.operation, subResource: request.subResource)
        var operations: [PatchOperation] = []
        var changes: [[String: String]] = []
        for (field, pointer, image) in images where fields.contains(field) {
            guard let name = try? ImageName(parsing: image), let target = await mirror.mirrored(name), target != image
            else { continue }
            operations.append(PatchOperation(op: "replace", path: pointer, value: .text(target)))
            changes.append(["from": image, "to": target])
        }
        guard !changes.isEmpty else { return Self.encode(uid: request.uid) }
        let listed = (try? JSONEncoder.sorted.encode(changes)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        operations.append(Self.annotate(object.metadata, with: listed))
        let patch = try? JSONEncoder.sorted.encode(operations)
        return Self.encode(uid: request.uid, patch: patch)
    }

    /// Sets the annotation, making the map (or the metadata) when the object has none.
    static func annotate(_ metadata: Workload.Metadata?, with value: String) -> PatchOperation {
        guard let metadata else {
            return PatchOperation(
                op: "add", path: "/metadata", value: .map(["annotations": .map([annotation: .text(value)])]))
        }
        guard metadata.annotations != nil else {
            return PatchOperation(op: "add", path: "/metadata/annotations", value: .map([annotation: .text(value)]))
        }
        return PatchOperation(op: "add", path: "/metadata/annotations/" + pointerToken(annotation), value: .text(value))
    }

    /// A key as one token of a JSON Pointer (RFC 6901): `~` and `/` escaped.
    static func pointerToken(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func encode(uid: String, patch: Data? = nil, warning: String? = nil) -> [UInt8] {
        let response = AdmissionReview.Response(
            response: .init(
                uid: uid, patchType: patch == nil ? nil : "JSONPatch", patch: patch,
                warnings: warning.map { [$0] }))
        return (try? [UInt8](JSONEncoder.sorted.encode(response))) ?? []
    }
}

/// One operation of a JSON Patch (RFC 6902).
struct PatchOperation: Encodable {
    indirect enum Value: Encodable {
        case text(String)
        case map([String: Value])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .map(let map): try container.encode(map)
            }
        }
    }

    let op: String
    let path: String
    let value: Value
}

extension JSONEncoder {
    /// Keys in order, slashes as they are: the same object encodes to the same bytes.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
