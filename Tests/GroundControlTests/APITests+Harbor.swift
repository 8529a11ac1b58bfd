import Foundation
import Testing

extension APITests {
    /// Bad input to Harbor registries and their groups: a 400 naming the field, nothing kept.
    @Test func harborRegistriesAndGroupsRefuseBadInput() async throws {
        try await APIHarness.run { api in
            func refused(_ method: String, _ path: String, _ json: String, naming field: String) async throws {
                let reply = try await api.admin(method, path, json: json)
                let text = String(decoding: reply.body, as: UTF8.self)
                #expect(reply.status == 400 && text.contains(field), "\(json) -> \(reply.status) \(text)")
            }
            try await refused(
                "PUT", "/api/v1/registries/hub", #"{"url":"http://127.0.0.1:5000","kind":"harbor"}"#, naming: "password"
            )
            try await refused(
                "PUT", "/api/v1/registries/hub", #"{"url":"http://127.0.0.1:5000","kind":"quay"}"#, naming: "kind")
            try await refused(
                "PUT", "/api/v1/registries/hub", #"{"url":"http://127.0.0.1:5000","robotDurationDays":5}"#,
                naming: "robotDurationDays")
            try await refused(
                "PUT", "/api/v1/registries/hub",
                #"""
                {"url":"http://127.0.0.1:5000","kind":"harbor","username":"admin","password":"pw",\#
                "robotDurationDays":0}
                """#,
                naming: "robotDurationDays")
            #expect(try await api.admin("GET", "/api/v1/registries/hub").status == 404, "nothing kept")

            let made = try await api.admin(
                "PUT", "/api/v1/registries/hub",
                json: #"{"url":"http://127.0.0.1:5000","kind":"harbor","username":"admin","password":"Harbor12345"}"#)
            let shown = String(decoding: made.body, as: UTF8.self)
            #expect(
                made.status == 201 && shown.contains(#""robotDurationDays":30"#) && !shown.contains("Harbor12345"),
                "\(shown)")
            #expect(
                try await api.admin("PUT", "/api/v1/registries/plain", json: #"{"url":"http://127.0.0.1:5001"}"#).status
                    == 201)

            let group = "/api/v1/groups/edge"
            try await refused(
                "PUT", group, #"{"registry":"plain","artifacts":[{"repository":"proj/app","tags":"1.*"}]}"#,
                naming: "kind harbor")
            try await refused(
                "PUT", group,
                #"{"registry":"plain","artifacts":[{"repository":"proj/app","tag":"v1"}],"maxSeverity":"high"}"#,
                naming: "maxSeverity")
            try await refused(
                "PUT", group,
                #"{"registry":"hub","artifacts":[{"repository":"proj/app","tag":"v1"}],"maxSeverity":"severe"}"#,
                naming: "maxSeverity")
            try await refused(
                "PUT", group, #"{"registry":"hub","artifacts":[{"repository":"proj/app","tag":"v1","tags":"1.*"}]}"#,
                naming: "artifacts[0]")
            try await refused(
                "PUT", group, #"{"registry":"hub","artifacts":[{"repository":"app","semver":">=one"}]}"#,
                naming: "artifacts[0].semver")
            try await refused(
                "PUT", group, #"{"registry":"hub","artifacts":[{"repository":"app","latest":0}]}"#,
                naming: "artifacts[0].latest")
            try await refused(
                "PUT", group, #"{"registry":"hub","artifacts":[{"project":"Proj","repository":"*"}]}"#,
                naming: "artifacts[0].project")
            try await refused(
                "PUT", group, #"{"registry":"hub","artifacts":[{"repository":"*","tags":"1.*"}]}"#, naming: "project")
            #expect(try await api.admin("GET", group).status == 404, "nothing kept")

            let kept = try await api.admin(
                "PUT", group,
                json:
                    #"""
                    {"registry":"hub","artifacts":[{"project":"proj","repository":"*","latest":2}],\#
                    "maxSeverity":"high","requireScan":true}
                    """#
            )
            let text = String(decoding: kept.body, as: UTF8.self)
            #expect(
                kept.status == 201 && text.contains(#""repository":"*""#) && text.contains(#""maxSeverity":"high""#),
                "\(text)")
        }
    }
}
