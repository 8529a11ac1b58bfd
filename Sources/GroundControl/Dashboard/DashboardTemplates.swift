import FleetDomain
import Foundation
import Mustache

/// The dashboard's templates and static files, built into the binary (no files to install, no
/// build step). Templates escape every value as HTML; none is rendered unescaped.
struct DashboardTemplates: Sendable {
    let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        let sources: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache), ("login", PackageResources.login_mustache),
            ("error", PackageResources.error_mustache), ("overview", PackageResources.overview_mustache),
            ("fleet", PackageResources.fleet_mustache), ("satellite", PackageResources.satellite_mustache),
            ("status", PackageResources.status_mustache), ("groups", PackageResources.groups_mustache),
            ("group", PackageResources.group_mustache), ("registries", PackageResources.registries_mustache),
            ("audit", PackageResources.audit_mustache), ("events", PackageResources.events_mustache),
            ("chart", PackageResources.chart_mustache), ("demand", PackageResources.demand_mustache),
            ("rollouts", PackageResources.rollouts_mustache),
        ]
        for (name, bytes) in sources {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    func render(_ page: Any, _ template: String) -> String {
        // Only the names registered above are asked for; a miss is a programming error shown as
        // an empty page rather than a crash.
        library.render(page, withTemplate: template) ?? ""
    }

    /// `/static/{file}`: the sheet, the script and the icon.
    static func asset(_ file: String) -> (bytes: [UInt8], contentType: String)? {
        switch file {
        case "dashboard.css": (PackageResources.dashboard_css, "text/css; charset=utf-8")
        case "dashboard.js": (PackageResources.dashboard_js, "text/javascript; charset=utf-8")
        case "icon.svg": (PackageResources.icon_svg, "image/svg+xml")
        default: nil
        }
    }
}
