import Foundation
import NIOHTTP1

extension HarborAPI {
    /// A robot as Ground Control asks for it: system level, pulling from the given projects.
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

        let name: String
        let description: String
        let level = "system"
        /// Days; Harbor counts the robot's life from its creation.
        let duration: Int
        let disable = false
        let permissions: [Permission]
        /// Set on creation so that Harbor holds the secret Ground Control derives.
        var secret: String?

        init(name: String, description: String, duration: Int, projects: [String], secret: String?) {
            self.name = name
            self.description = description
            self.duration = duration
            // Pulling needs `repository:pull`; `artifact:read` lets the robot list what it pulls.
            permissions = projects.map {
                Permission(namespace: $0, access: [.init(resource: "repository", action: "pull"), .init(resource: "artifact", action: "read")])
            }
            self.secret = secret
        }
    }

    /// A robot as Harbor lists it, or as it answers a create (`RobotCreated`).
    struct Robot: Decodable, Sendable {
        let id: Int64
        let name: String
        let expiresAt: Int64?

        enum CodingKeys: String, CodingKey {
            case id, name
            case expiresAt = "expires_at"
        }
    }

    /// `POST /robots`; nil when the name is taken (409).
    func createRobot(_ spec: RobotSpec) async throws(Failure) -> Robot? {
        let (status, _, body) = try await send(.POST, "/robots", json: try Self.encode(spec))
        if status == 409 { return nil }
        guard status == 201 || status == 200 else { throw Self.failure(path: baseURL + "/robots", status: status, body: body) }
        return try Self.decode(Robot.self, body, path: baseURL + "/robots")
    }

    /// The robot Ground Control named `name` (Harbor shows it with its prefix, `robot$name`).
    func robot(named name: String) async throws(Failure) -> Robot? {
        let query = "name=" + name
        let path = "/robots?q=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query)&page_size=100"
        let (status, _, body) = try await send(.GET, path)
        guard status == 200 else { throw Self.failure(path: baseURL + path, status: status, body: body) }
        return try Self.decode([Robot].self, body, path: baseURL + path).first { $0.name == name || $0.name.hasSuffix("$" + name) }
    }

    /// `GET /robots/{id}`; nil when Harbor has no such robot.
    func robot(id: Int64) async throws(Failure) -> Robot? {
        let (status, _, body) = try await send(.GET, "/robots/\(id)")
        if status == 404 { return nil }
        guard status == 200 else { throw Self.failure(path: baseURL + "/robots/\(id)", status: status, body: body) }
        return try Self.decode(Robot.self, body, path: baseURL + "/robots/\(id)")
    }

    /// `PUT /robots/{id}`: permissions, duration, enabled. Returns false when the robot is gone.
    func updateRobot(id: Int64, _ spec: RobotSpec) async throws(Failure) -> Bool {
        var spec = spec
        spec.secret = nil
        let (status, _, body) = try await send(.PUT, "/robots/\(id)", json: try Self.encode(spec))
        if status == 404 { return false }
        guard status == 200 else { throw Self.failure(path: baseURL + "/robots/\(id)", status: status, body: body) }
        return true
    }

    /// `PATCH /robots/{id}`: makes `secret` the robot's secret (the old one stops working).
    func setRobotSecret(id: Int64, _ secret: String) async throws(Failure) {
        let (status, _, body) = try await send(.PATCH, "/robots/\(id)", json: try Self.encode(["secret": secret]))
        guard status == 200 else { throw Self.failure(path: baseURL + "/robots/\(id)", status: status, body: body) }
    }

    /// `DELETE /robots/{id}`; a robot already gone counts as deleted.
    func deleteRobot(id: Int64) async throws(Failure) {
        let (status, _, body) = try await send(.DELETE, "/robots/\(id)")
        guard status == 200 || status == 404 else { throw Self.failure(path: baseURL + "/robots/\(id)", status: status, body: body) }
    }

    private static func encode(_ value: some Encodable) throws(Failure) -> Data {
        do {
            return try JSONEncoder().encode(value)
        } catch {
            throw Failure(status: nil, message: "cannot encode a Harbor request: \(error)")
        }
    }
}
