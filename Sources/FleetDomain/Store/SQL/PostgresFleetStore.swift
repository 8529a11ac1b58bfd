import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle

/// The fleet in PostgreSQL: several Ground Control processes can share one database.
public final class PostgresFleetStore: SQLFleetStore {
    public let dialect = SQLDialect.postgres
    private let client: PostgresClient
    private let logger: Logger
    public let secrets: SecretSealer

    /// Connects lazily to `url` (`postgres://user:password@host:port/database`); `run()` must be
    /// running. `secrets` seals what the database keeps of secrets.
    public init(url: String, secrets: SecretSealer, logger: Logger) throws {
        client = PostgresClient(configuration: try Self.configuration(url), backgroundLogger: logger)
        self.secrets = secrets
        self.logger = logger
    }

    public func run() async throws {
        await client.run()
    }

    public func readSQL<T: Sendable>(_ body: @Sendable (any FleetSession) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                try await body(PostgresSession(connection: connection, logger: self.logger))
            }
        } catch let error as PSQLError {
            throw Self.translate(error)
        }
    }

    @discardableResult
    public func transactionSQL<T: Sendable>(_ body: @Sendable (any FleetSession) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(PostgresSession(connection: connection, logger: self.logger))
            }
        } catch let error as PostgresTransactionError {
            if let closureError = error.closureError { throw closureError }
            if let failure = (error.beginError ?? error.commitError) as? PSQLError { throw Self.translate(failure) }
            throw FleetStoreError.unavailable("PostgreSQL transaction failed: \(String(reflecting: error))")
        } catch let error as PSQLError {
            throw Self.translate(error)
        }
    }

    static func translate(_ error: PSQLError) -> FleetStoreError {
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        if let state = error.serverInfo?[.sqlState], state.hasPrefix("23") {
            return .constraint(message)
        }
        return .unavailable("PostgreSQL: \(message)")
    }

    /// Reads `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty
        else {
            throw FleetStoreError.unavailable(
                "database must be postgres://user:password@host:port/database, not '\(redacted(url))'")
        }
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default: throw FleetStoreError.unavailable("sslmode must be disable, prefer or require, not '\(mode)'")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432,
            username: components.user?.removingPercentEncoding ?? "postgres",
            password: components.password?.removingPercentEncoding,
            database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.maximumConnections = 16
        return configuration
    }

    /// The URL with its password hidden, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://***"
    }
}

private struct PostgresSession: FleetSession {
    let connection: PostgresConnection
    let logger: Logger

    func query(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: bindings.appendNull()
            case .integer(let value): bindings.append(value)
            case .real(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            }
        }
        do {
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: Self.numbered(sql), binds: bindings), logger: logger)
            var result: [SQLRow] = []
            var columns: [String]?
            for try await row in rows {
                let names = columns ?? row.map { $0.columnName.lowercased() }
                columns = names
                result.append(SQLRow(columns: names, values: try row.map(Self.value)))
            }
            return result
        } catch let error as PSQLError {
            throw PostgresFleetStore.translate(error)
        }
    }

    /// `?` → `$1`, `$2`…: the statements never hold a literal question mark.
    static func numbered(_ sql: String) -> String {
        var output = ""
        output.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        for character in sql {
            if character == "?" {
                index += 1
                output += "$\(index)"
            } else {
                output.append(character)
            }
        }
        return output
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2: return .integer(Int64(try cell.decode(Int16.self)))
        case .int4: return .integer(Int64(try cell.decode(Int32.self)))
        case .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8, .numeric: return .real(try cell.decode(Double.self))
        case .bool: return .bool(try cell.decode(Bool.self))
        default: return .text(try cell.decode(String.self))
        }
    }
}
