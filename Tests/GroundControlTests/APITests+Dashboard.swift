import AsyncHTTPClient
import FleetAPI
import Foundation
import GroundControlClient
import SatelliteProtocol
import Testing

extension APITests {
    /// The dashboard's sessions at the HTTP level: the login form with its own CSRF value, a
    /// session cookie that is `__Host-`, Secure and HttpOnly, changes refused without the page's
    /// CSRF token, roles, lock-out, the live fragment and logging out.
    @Test func dashboardSessionsNeedTheirCSRFTokenAndKeepToTheRole() async throws {
        try await Self.withPageClient { try await dashboardSessions($0) }
    }

    /// An HTTP client that follows no redirect, as the login's 303 is checked, shut down after `body`.
    static func withPageClient(_ body: (HTTPClient) async throws -> Void) async throws {
        let http = HTTPClient(configuration: .init(redirectConfiguration: .disallow))
        do {
            try await body(http)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    private func dashboardSessions(_ http: HTTPClient) async throws {
        try await APIHarness.run { api in
            let password = "a long enough password"
            for (name, role) in [("vera", "viewer"), ("olga", "operator")] {
                #expect(
                    try await api.admin(
                        "PUT", "/api/v1/users/\(name)", json: #"{"role":"\#(role)","password":"\#(password)"}"#
                    ).status == 201)
            }
            _ = try await api.seedRegisteredSatellite()
            let client = GroundControlClient(baseURL: api.baseURL, http: http)

            // Not logged in: a page sends to the login form, a live fragment is refused.
            let anonymous = try await client.send("GET", "/satellites/s1")
            #expect(
                anonymous.status == 303 && anonymous.headers["location"] == "/login?next=/satellites/s1",
                "\(anonymous.headers)")
            #expect(try await client.send("GET", "/?fragment=fleet").status == 401)

            var olga = Browser(client: client)
            // A login form posted without the cookie its page set is refused (login CSRF).
            #expect(
                try await olga.postForm("/login", ["name": "olga", "password": password, "csrf": "guessed"]).status
                    == 403)
            let loggedIn = try await olga.logIn("olga", password, next: "/satellites/s1")
            #expect(loggedIn.status == 303 && loggedIn.headers["location"] == "/satellites/s1")
            let cookie = loggedIn.headers["set-cookie"] ?? ""
            for attribute in ["__Host-gc-session=gcw_", "Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
                #expect(cookie.contains(attribute), "\(cookie)")
            }
            // Never back to another site after logging in.
            var wanderer = Browser(client: client)
            #expect(try await wanderer.logIn("olga", password, next: "//evil.example/").headers["location"] == "/")

            let page = try await olga.get("/satellites/s1")
            #expect(page.status == 200)
            #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
            #expect(page.text.contains("id=\"revoke\"") && page.text.contains("olga · operator"))
            let csrf = try #require(page.csrf)

            // A change with the cookie alone, or with another session's token, is refused; with
            // the page's token it is made, and audited under the person.
            let bare = try await olga.send("POST", "/api/v1/satellites/s1/rotate")
            #expect(bare.status == 403 && bare.error?.code == "CSRF_TOKEN_INVALID", "\(bare.errorMessage)")
            let wrong = try await olga.send(
                "POST", "/api/v1/satellites/s1/rotate", headers: ["X-CSRF-Token": String(repeating: "0", count: 64)])
            #expect(wrong.error?.code == "CSRF_TOKEN_INVALID")
            #expect(
                try await olga.send("POST", "/api/v1/satellites/s1/rotate", headers: ["X-CSRF-Token": csrf]).status
                    == 202)
            let audit = try await api.admin("GET", "/api/v1/audit?actor=user:olga").decode([AuditEntry].self)
            #expect(
                audit.map(\.action).contains("satellite.rotate") && audit.allSatisfy { $0.actor == "user:olga" },
                "\(audit)")
            #expect(
                try await api.admin("GET", "/api/v1/audit?action=session.").decode([AuditEntry].self).allSatisfy {
                    $0.action.hasPrefix("session.")
                })

            // A viewer sees the satellite without its actions, and the API refuses them anyway.
            var vera = Browser(client: client)
            #expect(try await vera.logIn("vera", password).status == 303)
            let viewed = try await vera.get("/satellites/s1")
            #expect(viewed.status == 200 && !viewed.text.contains("id=\"revoke\""))
            let verasToken = try #require(viewed.csrf)
            #expect(
                try await vera.send("POST", "/api/v1/satellites/s1/revoke", headers: ["X-CSRF-Token": verasToken])
                    .error?.code == "FORBIDDEN")
            let fleet = try await vera.get("/?fragment=fleet")
            #expect(fleet.status == 200 && fleet.text.contains("id=\"satellite-s1\"") && !fleet.text.contains("<html"))
            // A page's failure is the error page within the frame, not the API's JSON.
            let missing = try await vera.get("/satellites/nope")
            #expect(
                missing.status == 404 && missing.text.contains("vera · viewer") && missing.text.contains("nope"),
                "\(missing.text)")
            #expect(try await vera.get("/audit?before=0").status == 400)
            for path in [
                "/groups", "/groups/edge", "/registries", "/events", "/audit", "/?sort=-seen&state=online&q=s",
                "/rollouts", "/demand", "/demand?all=true",
            ] {
                let shown = try await vera.get(path)
                #expect(
                    shown.status == 200 && shown.text.contains("vera · viewer") && !shown.text.contains("data-api"),
                    "\(path)")
            }
            // The group's edit box holds what PUT takes back (no resolved digests).
            let groupPage = try await olga.get("/groups/edge")
            #expect(
                groupPage.text.contains("&quot;registry&quot; : &quot;central&quot;")
                    && !groupPage.text.contains("resolvedDigest"))
            #expect(try await vera.get("/audit?actor=user:olga").text.contains("satellite.rotate"))

            // Five wrong passwords lock the name out of the form too.
            var guesser = Browser(client: client)
            for _ in 0..<5 { #expect(try await guesser.logIn("vera", "not the password at all").status == 401) }
            #expect(try await guesser.logIn("vera", password).status == 429)

            // Logging out needs the token, then ends the session for good.
            #expect(try await olga.postForm("/logout", [:]).status == 403)
            #expect(try await olga.postForm("/logout", ["csrf": csrf]).status == 303)
            #expect(try await olga.get("/").status == 303)
            #expect(
                try await olga.send("POST", "/api/v1/satellites/s1/rotate", headers: ["X-CSRF-Token": csrf]).status
                    == 401)

            // Bad input to the pages gets a 4xx and changes nothing.
            var prober = Browser(client: client)
            #expect(
                try await prober.send(
                    "POST", "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                    body: Data("%%%=&&".utf8)
                ).status == 400)
            let huge = Data(("name=" + String(repeating: "a", count: 20000)).utf8)
            #expect(
                try await prober.send(
                    "POST", "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: huge
                ).status == 413)
            #expect(try await vera.get("/audit?before=soon").status == 400)
            #expect(try await vera.get("/satellites/Not%20A%20Name").status == 400)
            #expect(try await vera.get("/?sort=%00&state=%FF&q=" + String(repeating: "x", count: 500)).status == 200)
            #expect(try await client.send("GET", "/login?next=/%0d%0aSet-Cookie:x").text.contains("value=\"/\""))

            let script = try await client.send("GET", "/static/dashboard.js")
            #expect(script.status == 200 && script.headers["content-type"]?.hasPrefix("text/javascript") == true)
            #expect(try await client.send("GET", "/static/..%2Fopenapi.json").status == 404)
        }
    }
}

/// A client that keeps the dashboard's cookies, as a browser would.
struct Browser {
    let client: GroundControlClient
    var cookies: [String: String] = [:]

    var cookieHeader: [String: String] {
        cookies.isEmpty ? [:] : ["Cookie": cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")]
    }

    mutating func send(
        _ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil
    ) async throws -> GroundControlClient.Reply {
        let reply = try await client.send(method, path, headers: headers.merging(cookieHeader) { $1 }, body: body)
        // The client keeps the last Set-Cookie; the server sends the one that matters last.
        if let set = reply.headers["set-cookie"], let pair = set.split(separator: ";").first,
            let equals = pair.firstIndex(of: "=")
        {
            let name = String(pair[..<equals]).trimmingCharacters(in: .whitespaces)
            let value = String(pair[pair.index(after: equals)...])
            if value.isEmpty { cookies[name] = nil } else { cookies[name] = value }
        }
        return reply
    }

    mutating func get(_ path: String) async throws -> GroundControlClient.Reply { try await send("GET", path) }

    mutating func postForm(_ path: String, _ fields: [String: String]) async throws -> GroundControlClient.Reply {
        var components = URLComponents()
        components.queryItems = fields.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        let body = Data((components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B").utf8)
        return try await send("POST", path, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: body)
    }

    /// Opens the login form (for its cookie and hidden value), then posts it.
    mutating func logIn(
        _ name: String, _ password: String, next: String = "/"
    ) async throws -> GroundControlClient.Reply {
        let form = try await get("/login")
        let csrf = form.text.firstMatch(of: /name="csrf" value="([^"]+)"/).map { String($0.1) } ?? ""
        return try await postForm("/login", ["name": name, "password": password, "csrf": csrf, "next": next])
    }
}

extension GroundControlClient.Reply {
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The CSRF token a page holds for its scripts.
    var csrf: String? { text.firstMatch(of: /<meta name="csrf-token" content="([0-9a-f]+)">/).map { String($0.1) } }
}
