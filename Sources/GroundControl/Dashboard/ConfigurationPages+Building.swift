import FleetAPI
import FleetDomain
import Foundation
import OCI
import SatelliteProtocol

extension GroupsPage {
    init(frame: PageFrame, groups: [GroupView], registries: [RegistryView], satellites: [SatelliteView], now: Date) {
        self.frame = frame
        rows = groups.map { group in
            Row(
                name: group.name, registry: group.registry, artifacts: group.artifacts.count,
                members: satellites.count { $0.groups.contains(group.name) },
                gate: group.maxSeverity.map { "at most \($0)" + (group.requireScan == true ? ", scanned" : "") }
                    ?? (group.requireScan == true ? "scanned" : "—"),
                signatures: GroupPage.signatures(group.verification),
                updated: DashboardFormat.ago(group.updatedAt, now: now))
        }
        self.registries = registries.map { Choice(value: $0.name, selected: false) }
        let first = registries.first?.name ?? "central"
        example = """
            {
              "registry": "\(first)",
              "artifacts": [{"repository": "library/nginx", "tag": "1.27"}]
            }
            """
    }
}

extension GroupPage {
    init(frame: PageFrame, group: GroupView, satellites: [SatelliteView], now: Date) {
        self.frame = frame
        name = group.name
        registry = group.registry
        artifacts = group.artifacts.flatMap { artifact -> [Artifact] in
            let held = Dictionary((artifact.heldBack ?? []).map { ($0.tag ?? $0.digest.description, $0.reason) }) {
                first, _ in first
            }
            if let resolved = artifact.resolved, !resolved.isEmpty {
                return resolved.map { tag in
                    Artifact(
                        reference: "\(tag.repository):\(tag.tag)",
                        digest: DashboardFormat.short(tag.digest.description),
                        heldBack: held[tag.tag])
                }
            }
            let selection =
                artifact.tag.map { ":" + $0.description }
                ?? artifact.tags.map { " tags \($0)" } ?? artifact.semver.map { " semver \($0)" } ?? artifact.latest.map
            { " latest \($0)" } ?? ""
            let digest = artifact.digest ?? artifact.resolvedDigest
            return [
                Artifact(
                    reference: artifact.repository.description + selection,
                    digest: digest.map { DashboardFormat.short($0.description) } ?? "not resolved yet",
                    heldBack: artifact.tag.flatMap { held[$0.description] })
            ]
        }
        members = satellites.filter { $0.groups.contains(group.name) }.map(\.name)
        var facts = [
            SatellitePage.Fact(label: "Registry", value: group.registry, title: ""),
            SatellitePage.Fact(label: "Signatures", value: Self.signatures(group.verification), title: ""),
            SatellitePage.Fact(label: "Revision", value: "\(group.revision)", title: ""),
            SatellitePage.Fact(
                label: "Changed", value: DashboardFormat.ago(group.updatedAt, now: now),
                title: DashboardFormat.timestamp(group.updatedAt)),
        ]
        if let proxy = group.proxy {
            facts.append(
                SatellitePage.Fact(
                    label: "Pull-through", value: proxy.repositories.map(\.description).joined(separator: ", "),
                    title: ""))
        }
        if group.maxSeverity != nil || group.requireScan == true {
            facts.append(
                SatellitePage.Fact(
                    label: "Scan gate",
                    value:
                        """
                        at most \
                        \(group.maxSeverity ?? "critical")\(group.requireScan == true ? ", scan required" : "")
                        """,
                    title: ""))
        }
        self.facts = facts
        definition = Self.definition(of: group)
    }

    static func signatures(_ verification: DesiredState.Verification?) -> String {
        guard let verification else { return "not checked" }
        let keys = verification.keys.count == 1 ? "1 key" : "\(verification.keys.count) keys"
        return (verification.required == true ? "required, " : "checked when present, ") + keys
    }

    /// The group as `PUT /api/v1/groups/{name}` takes it, for the edit box.
    static func definition(of group: GroupView) -> String {
        let definition = group.definition
        let encoder = APIJSON.encoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(definition)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

extension RegistriesPage {
    init(frame: PageFrame, registries: [RegistryView], now: Date) {
        self.frame = frame
        rows = registries.map {
            Row(
                name: $0.name, url: $0.url, kind: $0.kind, username: $0.username ?? "—", password: $0.passwordSet,
                webhook: $0.webhookSet ?? false, insecure: $0.insecure,
                updated: DashboardFormat.ago($0.updatedAt, now: now))
        }
    }
}

extension AuditPage {
    static let pageSize = 100

    init(frame: PageFrame, filter: Fleet.AuditFilter, entries: [AuditEntry], now: Date) {
        self.frame = frame
        actor = filter.actor ?? ""
        action = filter.action ?? ""
        target = filter.target ?? ""
        self.entries = entries.map {
            Entry(
                at: DashboardFormat.timestamp($0.at), ago: DashboardFormat.ago($0.at, now: now), actor: $0.actor,
                action: $0.action,
                target: $0.target, detail: $0.detail ?? "")
        }
        if entries.count == Self.pageSize, let last = entries.last {
            var components = URLComponents()
            components.queryItems = [
                ("actor", actor), ("action", action), ("target", target), ("before", "\(last.id)"),
            ]
            .filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
            olderURL = "/audit?" + (components.percentEncodedQuery ?? "")
        } else {
            olderURL = nil
        }
    }
}

extension EventsPage {
    /// Deliveries of every subscription, newest first.
    init(frame: PageFrame, subscriptions: [SubscriptionView], deliveries: [(String, DeliveryAttempt)], now: Date) {
        self.frame = frame
        self.subscriptions = subscriptions.map {
            Subscription(
                name: $0.name, url: $0.url, types: $0.types.isEmpty ? "all" : $0.types.joined(separator: ", "),
                pending: $0.pending,
                failures: $0.failures, failing: $0.failures > 0, retry: DashboardFormat.within($0.retryAt, now: now),
                lastError: $0.lastError ?? "")
        }
        self.deliveries = deliveries.sorted { $0.1.at > $1.1.at }.prefix(50).map { name, attempt in
            let delivered = attempt.status.map { (200..<300).contains($0) } ?? false
            return Delivery(
                at: DashboardFormat.timestamp(attempt.at), ago: DashboardFormat.ago(attempt.at, now: now),
                subscription: name,
                eventId: attempt.eventId, type: attempt.type, attempt: attempt.attempt, delivered: delivered,
                result: attempt.status.map { "HTTP \($0)" } ?? attempt.error ?? "not sent")
        }
    }
}
