import ArgumentParser
import FleetAPI
import Foundation
import SatelliteProtocol

extension SatellitesCommand {
    /// `satctl satellites create-batch --file F`: many satellites from one file, a thousand per
    /// request (each request all or none).
    struct CreateBatch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-batch",
            abstract: "Add many satellites from a file and print their one-time registration tokens.",
            discussion: """
                The file (or - for standard input) is {"satellites": [{"name": …, "groups": […], \
                "labels": {…}, "settings": {…}}, …]}. Ground Control creates up to 1,000 per request, \
                all or none; a larger file goes in requests of 1,000, and if one is refused the tokens \
                of those already created are printed before the error.
                """)
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "The satellites, as JSON; - reads standard input.")
        var file: String

        func run() async throws {
            let batch = try Self.read(file)
            var made: [RegistrationToken] = []
            var refusal: (any Error)?
            try await APIClient.with(connection) { client in
                for start in stride(from: 0, to: batch.satellites.count, by: Self.perRequest) {
                    let part = SatelliteBatch(
                        satellites: Array(
                            batch.satellites[start..<min(start + Self.perRequest, batch.satellites.count)]))
                    do {
                        made += try client.decode(
                            RegistrationTokens.self,
                            try await client.send("POST", "/api/v1/satellites/batch", body: part)
                        ).tokens
                    } catch {
                        refusal = SatctlError("satellites \(start) onwards (entries counted from there): \(error)")
                        return
                    }
                }
            }
            if !made.isEmpty || refusal == nil {
                try emit(made, connection.output) { tokens in
                    [["NAME", "TOKEN", "EXPIRES"]] + tokens.map { [$0.name, $0.token, show($0.expiresAt)] }
                }
            }
            if let refusal { throw refusal }
        }

        static let perRequest = 1000

        private static func read(_ path: String) throws -> SatelliteBatch {
            let data: Data
            do {
                data =
                    path == "-"
                    ? FileHandle.standardInput.readDataToEndOfFile()
                    : try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw SatctlError("--file \(path): cannot read it: \(error.localizedDescription)")
            }
            let batch: SatelliteBatch
            do { batch = try APIJSON.decoder().decode(SatelliteBatch.self, from: data) } catch {
                throw SatctlError(
                    "--file \(path): not {\"satellites\": [{\"name\": …, \"groups\": […]}, …]}: \(error)")
            }
            guard !batch.satellites.isEmpty else { throw SatctlError("--file \(path): no satellites in it") }
            return batch
        }
    }
}
