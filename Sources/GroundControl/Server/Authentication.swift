import FleetDomain
import Foundation
import Hummingbird

/// People's routes: the bootstrap admin token, a person's token, or a dashboard session (with
/// its CSRF token on anything but a read) whose role is at least `needed`. Puts who it is in the
/// context, for the audit log.
struct PersonAuthentication: RouterMiddleware {
    typealias Context = GroundControlContext
    let fleet: Fleet
    let needed: Role

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.caller = .person(try await Self.principal(of: request, fleet: fleet, needed: needed))
        return try await next(request, context)
    }

    static func principal(of request: Request, fleet: Fleet, needed: Role) async throws -> Principal {
        let found: Principal?
        if let token = GroundControlAPI.bearer(request) {
            found = try await fleet.people.principal(token: token)
        } else if let session = request.cookies[BrowserSession.cookie]?.value {
            found = try await fleet.people.principal(session: session)
            if found != nil, !BrowserSession.isSafe(request.method),
                !BrowserSession.csrfMatches(request.headers[BrowserSession.csrfHeader], session: session)
            {
                throw GroundControlError(
                    .csrfRejected, "a change made with a session cookie needs its CSRF token (X-CSRF-Token)")
            }
        } else {
            found = nil
        }
        guard let principal = found else {
            throw GroundControlError(
                .unauthorized,
                """
                a token is required (Authorization: Bearer <token>): the admin token, or a personal token (satctl \
                login)
                """
            )
        }
        guard principal.role >= needed else {
            throw GroundControlError(
                .forbidden, "\(principal.actor) has the role \(principal.role.rawValue); this needs \(needed.rawValue)")
        }
        return principal
    }
}

/// Satellites' routes: a satellite credential, and the satellite's row and configuration read
/// (from the cache while nothing moved) into the context.
struct SatelliteAuthentication: RouterMiddleware {
    typealias Context = GroundControlContext
    let api: GroundControlAPI
    /// How long after its end a certificate still names its holder (renewal only).
    var grace: TimeInterval = 0

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.caller = .satellite(try await api.requireSatellite(request, channel: context.channel, grace: grace))
        return try await next(request, context)
    }
}

/// `POST /api/v1/tokens`, a person asking for a token of their own: with their name and
/// password (Basic; checked and throttled), or with a token of theirs, which the new one may not
/// outlive (a leaked token must not be made to last).
struct TokenOwnerAuthentication: RouterMiddleware {
    typealias Context = GroundControlContext
    let fleet: Fleet

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.caller = try await owner(of: request)
        return try await next(request, context)
    }

    private func owner(of request: Request) async throws -> Caller {
        guard let header = request.headers[.authorization], let space = header.firstIndex(of: " ") else {
            throw GroundControlError(
                .unauthorized, "log in with Authorization: Basic (name and password) or a personal token")
        }
        let scheme = header[..<space].lowercased()
        let value = header[header.index(after: space)...].trimmingCharacters(in: .whitespaces)
        if scheme == "bearer" {
            let principal = try await PersonAuthentication.principal(of: request, fleet: fleet, needed: .viewer)
            guard let user = principal.user else {
                throw GroundControlError(
                    .invalidField,
                    "the admin token is not a person: create a user (satctl users put) and log in as them")
            }
            return .tokenOwner(user: user, notAfter: try await fleet.people.tokenExpiry(value))
        }
        guard scheme == "basic", let decoded = Data(base64Encoded: value).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":")
        else {
            throw GroundControlError(
                .unauthorized, "log in with Authorization: Basic (name and password) or a personal token")
        }
        let name = try ResourceName(String(decoded[..<colon]), kind: "user name")
        if let until = try await fleet.people.loginLockedUntil(name.value) {
            throw GroundControlError(
                .tooManyAttempts,
                "too many wrong passwords for '\(name)': try again in \(Int(until.timeIntervalSinceNow.rounded(.up))) s"
            )
        }
        guard
            let principal = try await fleet.people.principal(
                user: name, password: String(decoded[decoded.index(after: colon)...])),
            let user = principal.user
        else {
            try await fleet.people.recordLoginFailure(name.value)
            throw GroundControlError(.unauthorized, "wrong name or password")
        }
        try await fleet.people.clearLoginFailures(name.value)
        return .tokenOwner(user: user, notAfter: nil)
    }
}

/// The dashboard's pages: a session cookie. Without one (or with an ended one): to the login
/// page, or 401 for a live fragment (a script should not swap the login form into a table).
struct PageAuthentication: RouterMiddleware {
    typealias Context = GroundControlContext
    let fleet: Fleet

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let session = request.cookies[BrowserSession.cookie]?.value,
            let principal = try await fleet.people.principal(session: session)
        else {
            if request.uri.queryParameters.get("fragment") != nil {
                return GroundControlAPI.html("", status: .unauthorized)
            }
            let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            var components = URLComponents()
            components.queryItems = [URLQueryItem(name: "next", value: next)]
            return Response(status: .seeOther, headers: [.location: "/login?" + (components.percentEncodedQuery ?? "")])
        }
        var context = context
        context.caller = .page(principal, session: session)
        return try await next(request, context)
    }
}

extension GroundControlAPI {
    /// The API's routes a person with at least `role` may call.
    func people(_ router: Router<GroundControlContext>, _ role: Role) -> RouterGroup<PersonContext> {
        router.group("api/v1").add(middleware: PersonAuthentication(fleet: fleet, needed: role)).group(
            context: PersonContext.self)
    }

    /// The API's routes a satellite calls with its certificate or credential; `grace` lets a
    /// certificate that ended that long ago in (renewal after a long time offline).
    func satellites(_ router: Router<GroundControlContext>, grace: TimeInterval = 0) -> RouterGroup<SatelliteContext> {
        router.group("api/v1").add(middleware: SatelliteAuthentication(api: self, grace: grace)).group(
            context: SatelliteContext.self)
    }

    /// The dashboard's pages.
    func pages(_ router: Router<GroundControlContext>) -> RouterGroup<PageContext> {
        router.group().add(middleware: PageAuthentication(fleet: fleet)).group(context: PageContext.self)
    }
}
