import FleetDomain
import Foundation
import Hummingbird
import Logging

/// What Ground Control reads of a Harbor webhook payload, in either of Harbor's formats:
/// `Default` (`type` PUSH_ARTIFACT, `event_data`) or `CloudEvents` (`type`
/// harbor.artifact.pushed, `data`; goharbor/harbor `src/pkg/notifier/formats/cloudevents.go`).
struct HarborEvent: Decodable {
    struct Data: Decodable {
        struct Repository: Decodable {
            let repoFullName: String?

            enum CodingKeys: String, CodingKey {
                case repoFullName = "repo_full_name"
            }
        }

        let repository: Repository?
    }

    /// The event's type in the default format's names.
    let type: String
    let eventData: Data?

    enum CodingKeys: String, CodingKey {
        case type
        case eventData = "event_data"
        case data
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let raw = try container.decode(String.self, forKey: .type)
        type = Self.cloudEventTypes[raw] ?? raw
        eventData =
            try container.decodeIfPresent(Data.self, forKey: .eventData)
            ?? container.decodeIfPresent(Data.self, forKey: .data)
    }

    /// The events that can move what a tag points at, or whether it may be handed out.
    static let relevant: Set<String> = ["PUSH_ARTIFACT", "DELETE_ARTIFACT", "SCANNING_COMPLETED"]

    /// CloudEvents types (cloudevents.go `eventTypeMapping`) by the default format's names.
    static let cloudEventTypes = [
        "harbor.artifact.pushed": "PUSH_ARTIFACT", "harbor.artifact.deleted": "DELETE_ARTIFACT",
        "harbor.scan.completed": "SCANNING_COMPLETED",
    ]
}

extension GroundControlAPI {
    /// `POST /api/v1/events/harbor`: a registry's webhook, authenticated by the secret its policy
    /// sends as the `Authorization` header. The groups using the repository named are resolved at
    /// once, so the change reaches waiting long-polls without waiting for the periodic pass.
    func addEventRoutes(to router: Router<GroundControlContext>) {
        router.group("api/v1").post("events/harbor") { request, _ in
            guard let header = request.headers[.authorization],
                let registry = try await fleet.registries.named(webhookAuthorization: header)
            else {
                throw GroundControlError(
                    .unauthorized,
                    """
                    the Authorization header must be a registry's webhook secret (satctl registries put \
                    --webhook-secret-file)
                    """
                )
            }
            let event = try await APIBody.decode(HarborEvent.self, from: request, limit: bodyLimit, strict: false)
            guard HarborEvent.relevant.contains(event.type), let repository = event.eventData?.repository?.repoFullName
            else {
                return try APIBody.json(["accepted": false], status: .accepted)
            }
            metrics.event(event.type)
            // Answered at once: Harbor waits for the reply, and retries when it is slow.
            Task { [resolver] in await resolver.resolveOnPush(registry: registry, repository: repository) }
            return try APIBody.json(["accepted": true], status: .accepted)
        }
    }
}
