import FleetAPI
import FleetDomain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SatelliteProtocol

/// The dashboard's pages (DESIGN.md: server-rendered, no build step). Reads come from the fleet
/// view as the API's do; every change a page offers is a call to the API itself, made by the
/// page's script with the session cookie and its CSRF token.
extension GroundControlAPI {
    func addDashboardRoutes(to router: Router<GroundControlContext>) {
        let pages = pages(router)
        pages.get("/") { request, context in
            try await page(request, context, section: "/", title: "Fleet") { frame in
                let query = OverviewPage.Query(Self.parameters(request))
                let page = OverviewPage(
                    frame: frame, satellites: try await satelliteViews(),
                    groups: try await fleet.groups.all().map(\.name),
                    query: query, now: Date())
                return request.uri.queryParameters.get("fragment") == "fleet"
                    ? templates.render(page, "fleet") : templates.render(page, "overview")
            }
        }
        pages.get("satellites/:name") { request, context in
            try await page(request, context, section: "/", title: "Satellite") { frame in
                let satellite = try await fleet.satellites.named(try Self.name(context, kind: "satellite name"))
                let page = SatellitePage(
                    frame: frame, satellite: satellite, groups: try await fleet.groups.all().map(\.name), now: Date())
                return request.uri.queryParameters.get("fragment") == "status"
                    ? templates.render(page, "status") : templates.render(page, "satellite")
            }
        }
        pages.get("groups") { request, context in
            try await page(request, context, section: "/groups", title: "Groups") { frame in
                templates.render(
                    GroupsPage(
                        frame: frame, groups: try await fleet.groups.all(),
                        registries: try await fleet.registries.all(),
                        satellites: try await satelliteViews(), now: Date()),
                    "groups")
            }
        }
        pages.get("groups/:name") { request, context in
            try await page(request, context, section: "/groups", title: "Group") { frame in
                let group = try await fleet.groups.named(try Self.name(context, kind: "group name"))
                return templates.render(
                    GroupPage(frame: frame, group: group, satellites: try await satelliteViews(), now: Date()), "group")
            }
        }
        pages.get("rollouts") { request, context in
            try await page(request, context, section: "/rollouts", title: "Rollouts") { frame in
                templates.render(
                    RolloutsPage(
                        frame: frame, rollouts: try await fleet.rollouts.list(limit: 20),
                        satellites: try await satelliteViews(), now: Date()),
                    "rollouts")
            }
        }
        pages.get("demand") { request, context in
            try await page(request, context, section: "/demand", title: "Demand") { frame in
                let all = try Self.flag(request.uri.queryParameters.get("all"), field: "all") ?? false
                return templates.render(
                    DemandPage(
                        frame: frame, list: try await fleetDemand(includeGrouped: all),
                        groups: try await fleet.groups.all(), all: all, now: Date()),
                    "demand")
            }
        }
        pages.get("registries") { request, context in
            try await page(request, context, section: "/registries", title: "Registries") { frame in
                templates.render(
                    RegistriesPage(frame: frame, registries: try await fleet.registries.all(), now: Date()),
                    "registries")
            }
        }
        pages.get("events") { request, context in
            try await page(request, context, section: "/events", title: "Events") { frame in
                let subscriptions = try await fleet.events.subscriptions()
                var deliveries: [(String, DeliveryAttempt)] = []
                for subscription in subscriptions {
                    let name = try ResourceName(subscription.name, kind: "subscription name")
                    deliveries += try await fleet.events.deliveries(of: name, limit: 50).map { (subscription.name, $0) }
                }
                return templates.render(
                    EventsPage(frame: frame, subscriptions: subscriptions, deliveries: deliveries, now: Date()),
                    "events")
            }
        }
        pages.get("audit") { request, context in
            try await page(request, context, section: "/audit", title: "Audit log") { frame in
                let filter = try Self.auditFilter(request.uri.queryParameters)
                let before = try Self.integer(
                    request.uri.queryParameters.get("before"), field: "before", range: 1...Int.max)
                let entries = try await fleet.auditLog(
                    limit: AuditPage.pageSize, before: before.map(Int64.init), filter: filter)
                return templates.render(AuditPage(frame: frame, filter: filter, entries: entries, now: Date()), "audit")
            }
        }
        // Browsers ask for /favicon.ico on their own (for a page that is not HTML, too).
        router.get("favicon.ico") { _, _ in try Self.asset("icon.svg") }
        router.get("static/:file") { _, context in try Self.asset(context.parameters.get("file") ?? "") }
        addLoginRoutes(to: router)
    }

    static func asset(_ file: String) throws -> Response {
        guard let asset = DashboardTemplates.asset(file) else {
            throw GroundControlError(.notFound, "no such file")
        }
        var response = Response(
            status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }

    /// A page for the person logged in: rendered with its frame, failures thrown with that frame
    /// for the error middleware to render as the error page.
    func page(
        _ request: Request, _ context: PageContext, section: String, title: String,
        render: (PageFrame) async throws -> String
    ) async throws -> Response {
        let frame = PageFrame(title: title, section: section, principal: context.principal, session: context.session)
        do {
            return Self.html(try await render(frame))
        } catch {
            throw DashboardPageError(frame: frame, underlying: error)
        }
    }

    /// An HTML answer with the headers every page carries: nothing but this origin's own script
    /// and sheet may run or load, no framing, nothing cached.
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var response = Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
        response.headers[.contentSecurityPolicy] =
            """
            default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
            form-action 'self'; frame-ancestors 'none'; base-uri 'none'
            """
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.frameOptions] = "DENY"
        response.headers[Self.referrerPolicy] = "same-origin"
        return response
    }

    // Not among HTTPTypes' predefined names.
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    /// The query's parameters by name (the last of a repeated one).
    static func parameters(_ request: Request) -> [String: String] {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            values[String(key)] = String(value)
        }
        return values
    }
}
