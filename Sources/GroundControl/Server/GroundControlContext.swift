import FleetDomain
import Foundation
import Hummingbird
import NIOCore

/// Every request's context in Ground Control: who is calling, once the authentication of the
/// route's group has found out (`PersonAuthentication`, `SatelliteAuthentication`, …).
struct GroundControlContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var caller: Caller?
    /// The connection, for the client certificate its handshake presented.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Who a request comes from, as its group's authentication found.
enum Caller: Sendable {
    /// A person (or the bootstrap admin token) with a role at least the group's.
    case person(Principal)
    /// A satellite with its credential, its row and the configuration it is served from.
    case satellite(GroundControlAPI.SatelliteRequest)
    /// A person logged in to the dashboard, with the session the page's frame carries.
    case page(Principal, session: String)
    /// A person asking for a token of their own, which may not outlive `notAfter`.
    case tokenOwner(user: String, notAfter: Date?)
}

/// The context of a route only a person or the admin token reaches.
struct PersonContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let principal: Principal

    init(context: GroundControlContext) throws {
        guard case .person(let principal) = context.caller else { throw GroundControlError.unauthenticatedRoute }
        coreContext = context.coreContext
        self.principal = principal
    }
}

/// The context of a route only a satellite reaches.
struct SatelliteContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let satellite: GroundControlAPI.SatelliteRequest

    init(context: GroundControlContext) throws {
        guard case .satellite(let satellite) = context.caller else { throw GroundControlError.unauthenticatedRoute }
        coreContext = context.coreContext
        self.satellite = satellite
    }
}

/// The context of a dashboard page: the person logged in and their session.
struct PageContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let principal: Principal
    let session: String

    init(context: GroundControlContext) throws {
        guard case .page(let principal, let session) = context.caller else {
            throw GroundControlError.unauthenticatedRoute
        }
        coreContext = context.coreContext
        self.principal = principal
        self.session = session
    }
}

/// The context of `POST /api/v1/tokens`: whose token it is, and how long it may live at most.
struct TokenOwnerContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let user: String
    let notAfter: Date?

    init(context: GroundControlContext) throws {
        guard case .tokenOwner(let user, let notAfter) = context.caller else {
            throw GroundControlError.unauthenticatedRoute
        }
        coreContext = context.coreContext
        self.user = user
        self.notAfter = notAfter
    }
}

extension GroundControlError {
    /// A route put in a group whose authentication did not run: a mistake here, never a client's.
    static let unauthenticatedRoute = GroundControlError(
        .internalError, "internal error: the route has no authentication")
}
