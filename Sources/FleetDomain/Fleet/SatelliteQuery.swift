import FleetAPI
import Foundation

/// Which satellites a list shows, in what order, and which page of them: what the API's and the
/// dashboard's lists ask the store for, so that a page of a fleet of 100,000 reads one page.
public struct SatelliteQuery: Sendable, Equatable {
    /// Part of the name, any case.
    public var nameContains: String?
    /// `online`, `stale`, `pending` or `revoked`, as the fleet view judges it now.
    public var state: String?
    public var group: String?
    public var site: String?
    public var sort: Sort = .name
    public var descending = false
    /// 1-based.
    public var page = 1
    public var pageSize = 100

    public enum Sort: String, Sendable, CaseIterable {
        case name, state, site
        /// When last heard from; never heard from first.
        case seen
    }

    public static let states = ["online", "stale", "pending", "revoked"]
    /// The most a page holds.
    public static let largestPage = 1000

    public init(
        nameContains: String? = nil, state: String? = nil, group: String? = nil, site: String? = nil,
        sort: Sort = .name, descending: Bool = false, page: Int = 1, pageSize: Int = 100
    ) {
        self.nameContains = nameContains
        self.state = state
        self.group = group
        self.site = site
        self.sort = sort
        self.descending = descending
        self.page = page
        self.pageSize = pageSize
    }

    /// The query, or the field that cannot be asked for.
    public func validated() throws(GroundControlError) -> SatelliteQuery {
        guard (1...Self.largestPage).contains(pageSize) else {
            throw GroundControlError(.invalidField, "page_size: 1 to \(Self.largestPage), not \(pageSize)")
        }
        guard page >= 1, page <= Int(Int32.max) else {
            throw GroundControlError(.invalidField, "page: from 1, not \(page)")
        }
        if let state, !Self.states.contains(state) {
            throw GroundControlError(
                .invalidField, "state: one of \(Self.states.joined(separator: ", ")), not '\(state.prefix(40))'")
        }
        guard (nameContains?.utf8.count ?? 0) <= 253 else {
            throw GroundControlError(.invalidField, "name: at most 253 bytes")
        }
        return self
    }

    /// Rows to skip before the page.
    var offset: Int { (page - 1) * pageSize }
}

/// A page of satellites and how many match in all.
public struct SatelliteListPage: Sendable {
    public let satellites: [SatelliteView]
    public let total: Int
}
