import FleetDomain
import Foundation
import NIOHTTP1

extension HarborAPI {
    /// A robot as Ground Control asks for it: system level, pulling from the given projects.
    /// Harbor ignores a secret sent on create (goharbor/harbor `controller/robot/controller.go`
    /// Create makes a random one), so none is sent: the derived secret is set afterwards with
    /// `setRobotSecret`.
    struct RobotSpec: Encodable, Sendable {
        struct Permission: Encodable, Sendable {
            struct Access: Encodable, Sendable {
                let resource: String
                let action: String
            }

            let kind = "project"
            let namespace: String
            let access: [Access]
        }

        /// On create, the name Ground Control gives; on update, the name Harbor shows (its prefix
        /// included): `updateV2Robot` refuses any other.
        var name: String
        let description: String
        let level = "system"
        /// Days; Harbor counts the robot's life from its creation.
        let duration: Int
        /// Sent on every update: Harbor takes an absent `disable` as false and an absent
        /// description as empty.
        let disable = false
        let permissions: [Permission]

        init(name: String, description: String, duration: Int, projects: [String]) {
            self.name = name
            self.description = description
            self.duration = duration
            // Pulling needs `repository:pull`; `artifact:read` lets the robot list what it pulls.
            permissions = projects.map {
                Permission(
                    namespace: $0,
                    access: [
                        .init(resource: "repository", action: "pull"), .init(resource: "artifact", action: "read"),
                    ])
            }
        }
    }

    /// A robot as Harbor lists it, or as it answers a create (`RobotCreated`): its name as Harbor
    /// shows it, with Harbor's prefix.
    struct Robot: Decodable, Sendable {
        let id: Int64
        let name: String
        let expiresAt: Int64?

        enum CodingKeys: String, CodingKey {
            case id, name
            case expiresAt = "expires_at"
        }
    }

    /// `POST /robots`; nil when the name is taken (409). A permission on a project Harbor lacks
    /// is a `Failure` with status 404.
    func createRobot(_ spec: RobotSpec) async throws(Failure) -> Robot? {
        let (status, _, body) = try await send(.POST, "/robots", json: try Self.encode(spec))
        if status == 409 { return nil }
        guard status == 201 || status == 200 else {
            throw Self.failure(path: baseURL + "/robots", status: status, body: body)
        }
        return try Self.decode(Robot.self, body, path: baseURL + "/robots")
    }

    /// The robot Ground Control named `name`. Harbor filters on the name as it keeps it (without
    /// the prefix) and answers with the prefix, whatever its `robot_name_prefix` setting is.
    func robot(named name: String) async throws(Failure) -> Robot? {
        let query = "name=" + name
        let path =
            "/robots?q=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query)&page_size=100"
        let (status, _, body) = try await send(.GET, path)
        guard status == 200 else { throw Self.failure(path: baseURL + path, status: status, body: body) }
        return try Self.decode([Robot].self, body, path: baseURL + path).first { $0.name.hasSuffix(name) }
    }

    /// `GET /robots/{id}`; nil when Harbor has no such robot.
    func robot(id: Int64) async throws(Failure) -> Robot? {
        let (status, _, body) = try await send(.GET, "/robots/\(id)")
        if status == 404 { return nil }
        guard status == 200 else { throw Self.failure(path: baseURL + "/robots/\(id)", status: status, body: body) }
        return try Self.decode(Robot.self, body, path: baseURL + "/robots/\(id)")
    }

    /// `PUT /robots/{id}`: permissions, duration, enabled; `spec.name` must be the name Harbor
    /// shows. Returns false when the robot is gone; a project Harbor lacks is a 404 `Failure`.
    func updateRobot(id: Int64, _ spec: RobotSpec) async throws(Failure) -> Bool {
        let (status, _, body) = try await send(.PUT, "/robots/\(id)", json: try Self.encode(spec))
        if status == 404, try await robot(id: id) == nil { return false }
        guard status == 200 else { throw Self.failure(path: baseURL + "/robots/\(id)", status: status, body: body) }
        return true
    }

    /// `PATCH /robots/{id}`: makes `secret` the robot's secret (the old one stops working). Harbor
    /// takes a given secret only of 8 to 128 characters with an upper-case letter, a lower-case
    /// letter and a digit (`robot.IsValidSec`).
    func setRobotSecret(id: Int64, _ secret: String) async throws(Failure) {
        let (status, _, body) = try await send(.PATCH, "/robots/\(id)", json: try Self.encode(["secret": secret]))
        guard status == 200 else { throw Self.failure(path: baseURL + "/robots/\(id)", status: status, body: body) }
    }

    /// Whether Harbor has the project (`GET /projects/{name}`, by name even when it looks like an id).
    func projectExists(_ name: String) async throws(Failure) -> Bool {
        let path = "/projects/\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name)"
        let (status, _, body) = try await send(.GET, path, headers: ["X-Is-Resource-Name": "true"])
        if status == 404 { return false }
        guard status == 200 else { throw Self.failure(path: baseURL + path, status: status, body: body) }
        return true
    }

    /// `DELETE /robots/{id}`; a robot already gone counts as deleted.
    func deleteRobot(id: Int64) async throws(Failure) {
        let (status, _, body) = try await send(.DELETE, "/robots/\(id)")
        guard status == 200 || status == 404 else {
            throw Self.failure(path: baseURL + "/robots/\(id)", status: status, body: body)
        }
    }

    private static func encode(_ value: some Encodable) throws(Failure) -> Data {
        do {
            return try JSONEncoder().encode(value)
        } catch {
            throw Failure(status: nil, message: "cannot encode a Harbor request: \(error)")
        }
    }
}
