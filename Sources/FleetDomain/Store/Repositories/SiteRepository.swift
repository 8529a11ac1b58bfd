import FleetAPI

/// Sites: satellites sharing one place and a credential whose epoch moves at every rotation.
package protocol SiteRepository: Sendable {
    /// What the site's members follow unless they set their own; nil when never set.
    func settings(of site: String) async throws -> SiteSettings?

    /// Every site's settings, by site.
    func allSettings() async throws -> [String: SiteSettings]

    /// Replaces the site's settings (nil clears them).
    func setSettings(_ settings: SiteSettings?, of site: String) async throws

    /// The site's epoch; 0 for a site never rotated.
    func epoch(of site: String) async throws -> Int64

    /// Moves the site's epoch on by `steps`.
    func advance(_ site: String, by steps: Int64) async throws

    /// The site's registered, approved members but `excluded`, by name, with the addresses they
    /// advertise.
    func members(of site: String, excluding excluded: String) async throws -> [SiteMember]
}

/// A satellite of a site, as its fellow members' states list it.
package struct SiteMember: Sendable, Equatable {
    package let name: String
    package let advertisedURL: String?
}
