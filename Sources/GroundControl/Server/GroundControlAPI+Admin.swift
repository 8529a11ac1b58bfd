import FleetAPI
import FleetDomain
import Foundation
import HTTPTypes
import Hummingbird
import SatelliteProtocol

extension GroundControlAPI {
    /// Registries, groups, satellites and the audit log, by role: any role reads; an operator
    /// changes groups and satellites; an admin (or the bootstrap token) also registries.
    func addAdminRoutes(to router: Router<GroundControlContext>) {
        let viewers = people(router, .viewer)
        let operators = people(router, .operator)
        let admins = people(router, .admin)

        viewers.get("registries") { request, _ in
            return try APIBody.json(try await fleet.registries.all())
        }
        admins.put("registries/:name") { request, context in
            let principal = context.principal
            let name = try Self.name(context, kind: "registry name")
            let definition = try await APIBody.decode(RegistryDefinition.self, from: request, limit: bodyLimit)
            let (view, created) = try await fleet.registries.put(name, definition, by: principal.actor)
            return try APIBody.json(view, status: created ? .created : .ok)
        }
        viewers.get("registries/:name") { request, context in
            return try APIBody.json(try await fleet.registries.named(try Self.name(context, kind: "registry name")))
        }
        admins.delete("registries/:name") { request, context in
            let principal = context.principal
            try await fleet.registries.delete(try Self.name(context, kind: "registry name"), by: principal.actor)
            return APIBody.noContent()
        }

        viewers.get("groups") { request, _ in
            return try APIBody.json(try await fleet.groups.all())
        }
        operators.put("groups/:name") { request, context in
            let principal = context.principal
            let name = try Self.name(context, kind: "group name")
            let definition = try await APIBody.decode(GroupDefinition.self, from: request, limit: bodyLimit)
            let expected = try request.headers[.ifMatch].map(Self.revision(ifMatch:))
            let (view, created) = try await fleet.groups.put(
                name, definition, expectedRevision: expected, by: principal.actor)
            return try APIBody.json(view, status: created ? .created : .ok, headers: [.eTag: "\"\(view.revision)\""])
        }
        viewers.get("groups/:name") { request, context in
            let group = try await fleet.groups.named(try Self.name(context, kind: "group name"))
            return try APIBody.json(group, headers: [.eTag: "\"\(group.revision)\""])
        }
        operators.delete("groups/:name") { request, context in
            let principal = context.principal
            try await fleet.groups.delete(try Self.name(context, kind: "group name"), by: principal.actor)
            return APIBody.noContent()
        }

        operators.post("satellites") { request, context in
            let principal = context.principal
            let definition = try await APIBody.decode(SatelliteDefinition.self, from: request, limit: bodyLimit)
            let token = try await fleet.satellites.create(definition, by: principal)
            return try APIBody.json(token, status: .created)
        }
        operators.post("satellites/batch") { request, context in
            let principal = context.principal
            let batch = try await APIBody.decode(SatelliteBatch.self, from: request, limit: bodyLimit)
            let tokens = try await fleet.satellites.create(batch: batch.satellites, by: principal)
            return try APIBody.json(RegistrationTokens(tokens: tokens), status: .created)
        }
        viewers.get("satellites") { request, _ in
            guard let query = try Self.satelliteQuery(Self.parameters(request)) else {
                return try APIBody.json(try await fleet.satellites.all())
            }
            return try Self.pageResponse(
                try await fleet.satellites.page(query), query: query, path: "/api/v1/satellites")
        }
        viewers.get("fleet") { request, _ in
            let counts = try await fleet.satellites.countByState()
            return try APIBody.json(FleetSummary(satellites: counts.values.reduce(0, +), byState: counts))
        }
        viewers.get("sites") { request, _ in
            return try APIBody.json(try await fleet.sites.all())
        }
        operators.put("sites/:name/settings") { request, context in
            let principal = context.principal
            let site = context.parameters.get("name") ?? ""
            let settings = try await APIBody.decode(SiteSettings.self, from: request, limit: bodyLimit)
            return try APIBody.json(try await fleet.sites.setSettings(settings, of: site, by: principal.actor))
        }
        viewers.get("satellites/:name") { request, context in
            return try APIBody.json(try await fleet.satellites.named(try Self.name(context, kind: "satellite name")))
        }
        operators.delete("satellites/:name") { request, context in
            let principal = context.principal
            try await fleet.satellites.delete(try Self.name(context, kind: "satellite name"), by: principal.actor)
            return APIBody.noContent()
        }
        operators.post("satellites/:name/token") { request, context in
            let principal = context.principal
            let token = try await fleet.satellites.issueToken(
                try Self.name(context, kind: "satellite name"), by: principal)
            return try APIBody.json(token, status: .created)
        }
        admins.post("satellites/:name/approve") { request, context in
            let principal = context.principal
            let name = try Self.name(context, kind: "satellite name")
            try await fleet.satellites.approve(name, by: principal)
            return try APIBody.json(try await fleet.satellites.named(name))
        }
        operators.post("satellites/:name/revoke") { request, context in
            let principal = context.principal
            try await fleet.satellites.revoke(try Self.name(context, kind: "satellite name"), by: principal.actor)
            return APIBody.noContent()
        }
        operators.post("satellites/:name/rotate") { request, context in
            let principal = context.principal
            try await fleet.satellites.requestRotation(
                try Self.name(context, kind: "satellite name"), by: principal.actor)
            return Response(status: .accepted)
        }
        operators.post("satellites/:name/sync-now") { request, context in
            let principal = context.principal
            let name = try Self.name(context, kind: "satellite name")
            let id = try await fleet.satellites.syncNow(name, by: principal.actor)
            return try APIBody.json(["satellite": name.value, "syncNow": id], status: .accepted)
        }
        operators.put("satellites/:name/settings") { request, context in
            let principal = context.principal
            let name = try Self.name(context, kind: "satellite name")
            let settings = try await APIBody.decode(SatelliteSettings.self, from: request, limit: bodyLimit)
            try await fleet.satellites.updateSettings(settings, of: name, by: principal.actor)
            return try APIBody.json(try await fleet.satellites.named(name))
        }
        operators.put("satellites/:name/groups/:group") { request, context in
            let principal = context.principal
            let name = try Self.name(context, kind: "satellite name")
            try await fleet.satellites.addGroup(
                try Self.name(context, "group", kind: "group name"), to: name, by: principal.actor)
            return try APIBody.json(try await fleet.satellites.named(name))
        }
        operators.delete("satellites/:name/groups/:group") { request, context in
            let principal = context.principal
            let name = try Self.name(context, kind: "satellite name")
            try await fleet.satellites.removeGroup(
                try Self.name(context, "group", kind: "group name"), from: name, by: principal.actor)
            return try APIBody.json(try await fleet.satellites.named(name))
        }

        viewers.get("audit") { request, _ in
            let query = request.uri.queryParameters
            let limit = try Self.integer(query.get("limit"), field: "limit", range: 1...1000) ?? 100
            let before = try Self.integer(query.get("before"), field: "before", range: 1...Int.max)
            let filter = try Self.auditFilter(query)
            return try APIBody.json(
                try await fleet.auditLog(limit: limit, before: before.map(Int64.init), filter: filter))
        }
    }

    /// `?actor=&action=&target=`: empty means any; each at most 300 characters.
    static func auditFilter(_ query: Hummingbird.Parameters) throws -> Fleet.AuditFilter {
        func value(_ name: String) throws -> String? {
            guard let value = query.get(name), !value.isEmpty else { return nil }
            guard value.unicodeScalars.count <= 300 else {
                throw GroundControlError(.invalidField, "\(name): at most 300 characters")
            }
            return value
        }
        return Fleet.AuditFilter(actor: try value("actor"), action: try value("action"), target: try value("target"))
    }

    /// The revision an `If-Match: "<revision>"` names.
    static func revision(ifMatch header: String) throws(GroundControlError) -> Int64 {
        var tag = header.trimmingCharacters(in: .whitespaces)
        if tag.hasPrefix("W/") { tag.removeFirst(2) }
        guard tag.count >= 3, tag.hasPrefix("\""), tag.hasSuffix("\""), let revision = Int64(tag.dropFirst().dropLast())
        else {
            throw GroundControlError(
                .invalidField, "If-Match: must be the group's ETag, such as \"42\", not '\(header.prefix(40))'")
        }
        return revision
    }

    /// A whole-number query parameter in `range`, or nil when absent.
    static func integer(_ raw: String?, field: String, range: ClosedRange<Int>) throws(GroundControlError) -> Int? {
        guard let raw else { return nil }
        guard let value = Int(raw), range.contains(value) else {
            throw GroundControlError(
                .invalidField,
                """
                \(field): must be a whole number from \(range.lowerBound) to \(range.upperBound), not \
                '\(raw.prefix(40))'
                """
            )
        }
        return value
    }
}
