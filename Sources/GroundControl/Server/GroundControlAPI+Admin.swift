import Foundation
import HTTPTypes
import Hummingbird
import SatelliteProtocol

extension GroundControlAPI {
    /// Registries, groups, satellites and the audit log, by role: any role reads; an operator
    /// changes groups and satellites; an admin (or the bootstrap token) also registries.
    func addAdminRoutes(to router: Router<BasicRequestContext>) {
        let api = router.group("api/v1")

        api.get("registries") { request, _ in
            _ = try await authorize(request, .viewer)
            return try APIBody.json(try await fleet.registries())
        }
        api.put("registries/:name") { request, context in
            let principal = try await authorize(request, .admin)
            let name = try Self.name(context, kind: "registry name")
            let definition = try await APIBody.decode(RegistryDefinition.self, from: request, limit: bodyLimit)
            let (view, created) = try await fleet.putRegistry(name, definition, by: principal.actor)
            return try APIBody.json(view, status: created ? .created : .ok)
        }
        api.get("registries/:name") { request, context in
            _ = try await authorize(request, .viewer)
            return try APIBody.json(try await fleet.registry(try Self.name(context, kind: "registry name")))
        }
        api.delete("registries/:name") { request, context in
            let principal = try await authorize(request, .admin)
            try await fleet.deleteRegistry(try Self.name(context, kind: "registry name"), by: principal.actor)
            return APIBody.noContent()
        }

        api.get("groups") { request, _ in
            _ = try await authorize(request, .viewer)
            return try APIBody.json(try await fleet.groups())
        }
        api.put("groups/:name") { request, context in
            let principal = try await authorize(request, .operator)
            let name = try Self.name(context, kind: "group name")
            let definition = try await APIBody.decode(GroupDefinition.self, from: request, limit: bodyLimit)
            let expected = try request.headers[.ifMatch].map(Self.revision(ifMatch:))
            let (view, created) = try await fleet.putGroup(name, definition, expectedRevision: expected, by: principal.actor)
            return try APIBody.json(view, status: created ? .created : .ok, headers: [.eTag: "\"\(view.revision)\""])
        }
        api.get("groups/:name") { request, context in
            _ = try await authorize(request, .viewer)
            let group = try await fleet.group(try Self.name(context, kind: "group name"))
            return try APIBody.json(group, headers: [.eTag: "\"\(group.revision)\""])
        }
        api.delete("groups/:name") { request, context in
            let principal = try await authorize(request, .operator)
            try await fleet.deleteGroup(try Self.name(context, kind: "group name"), by: principal.actor)
            return APIBody.noContent()
        }

        api.post("satellites") { request, _ in
            let principal = try await authorize(request, .operator)
            let definition = try await APIBody.decode(SatelliteDefinition.self, from: request, limit: bodyLimit)
            let token = try await fleet.createSatellite(definition, by: principal)
            return try APIBody.json(token, status: .created)
        }
        api.get("satellites") { request, _ in
            _ = try await authorize(request, .viewer)
            return try APIBody.json(try await fleet.satellites())
        }
        api.get("sites") { request, _ in
            _ = try await authorize(request, .viewer)
            return try APIBody.json(try await fleet.sites())
        }
        api.get("satellites/:name") { request, context in
            _ = try await authorize(request, .viewer)
            return try APIBody.json(try await fleet.satellite(try Self.name(context, kind: "satellite name")))
        }
        api.delete("satellites/:name") { request, context in
            let principal = try await authorize(request, .operator)
            try await fleet.deleteSatellite(try Self.name(context, kind: "satellite name"), by: principal.actor)
            return APIBody.noContent()
        }
        api.post("satellites/:name/token") { request, context in
            let principal = try await authorize(request, .operator)
            let token = try await fleet.issueToken(try Self.name(context, kind: "satellite name"), by: principal)
            return try APIBody.json(token, status: .created)
        }
        api.post("satellites/:name/approve") { request, context in
            let principal = try await authorize(request, .admin)
            let name = try Self.name(context, kind: "satellite name")
            try await fleet.approveSatellite(name, by: principal)
            return try APIBody.json(try await fleet.satellite(name))
        }
        api.post("satellites/:name/revoke") { request, context in
            let principal = try await authorize(request, .operator)
            try await fleet.revokeSatellite(try Self.name(context, kind: "satellite name"), by: principal.actor)
            return APIBody.noContent()
        }
        api.post("satellites/:name/rotate") { request, context in
            let principal = try await authorize(request, .operator)
            try await fleet.requestRotation(try Self.name(context, kind: "satellite name"), by: principal.actor)
            return Response(status: .accepted)
        }
        api.put("satellites/:name/settings") { request, context in
            let principal = try await authorize(request, .operator)
            let name = try Self.name(context, kind: "satellite name")
            let settings = try await APIBody.decode(SatelliteSettings.self, from: request, limit: bodyLimit)
            try await fleet.updateSettings(settings, of: name, by: principal.actor)
            return try APIBody.json(try await fleet.satellite(name))
        }
        api.put("satellites/:name/groups/:group") { request, context in
            let principal = try await authorize(request, .operator)
            let name = try Self.name(context, kind: "satellite name")
            try await fleet.addGroup(try Self.name(context, "group", kind: "group name"), to: name, by: principal.actor)
            return try APIBody.json(try await fleet.satellite(name))
        }
        api.delete("satellites/:name/groups/:group") { request, context in
            let principal = try await authorize(request, .operator)
            let name = try Self.name(context, kind: "satellite name")
            try await fleet.removeGroup(try Self.name(context, "group", kind: "group name"), from: name, by: principal.actor)
            return try APIBody.json(try await fleet.satellite(name))
        }

        api.get("audit") { request, _ in
            _ = try await authorize(request, .viewer)
            let query = request.uri.queryParameters
            let limit = try Self.integer(query.get("limit"), field: "limit", range: 1...1000) ?? 100
            let before = try Self.integer(query.get("before"), field: "before", range: 1...Int.max)
            let filter = try Self.auditFilter(query)
            return try APIBody.json(try await fleet.auditLog(limit: limit, before: before.map(Int64.init), filter: filter))
        }
    }

    /// `?actor=&action=&target=`: empty means any; each at most 300 characters.
    static func auditFilter(_ query: Hummingbird.Parameters) throws -> Fleet.AuditFilter {
        func value(_ name: String) throws -> String? {
            guard let value = query.get(name), !value.isEmpty else { return nil }
            guard value.unicodeScalars.count <= 300 else { throw GroundControlError(.invalidField, "\(name): at most 300 characters") }
            return value
        }
        return Fleet.AuditFilter(actor: try value("actor"), action: try value("action"), target: try value("target"))
    }

    /// The revision an `If-Match: "<revision>"` names.
    static func revision(ifMatch header: String) throws(GroundControlError) -> Int64 {
        var tag = header.trimmingCharacters(in: .whitespaces)
        if tag.hasPrefix("W/") { tag.removeFirst(2) }
        guard tag.count >= 3, tag.hasPrefix("\""), tag.hasSuffix("\""), let revision = Int64(tag.dropFirst().dropLast()) else {
            throw GroundControlError(.invalidField, "If-Match: must be the group's ETag, such as \"42\", not '\(header.prefix(40))'")
        }
        return revision
    }

    /// A whole-number query parameter in `range`, or nil when absent.
    static func integer(_ raw: String?, field: String, range: ClosedRange<Int>) throws(GroundControlError) -> Int? {
        guard let raw else { return nil }
        guard let value = Int(raw), range.contains(value) else {
            throw GroundControlError(.invalidField, "\(field): must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(raw.prefix(40))'")
        }
        return value
    }
}
