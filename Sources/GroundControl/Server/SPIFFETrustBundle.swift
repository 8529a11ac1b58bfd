import DurableFiles
import FleetIdentity
import Foundation
import Logging
import ServiceLifecycle

/// An operator's SPIFFE trust bundle (`--spiffe-trust-bundle`), which SPIRE rewrites as its
/// authorities rotate: read at start (a bad one stops the start) and again whenever it
/// changes, each good version becoming what satellites' certificates must chain to. A version
/// that does not parse is said once, and the one before it kept.
final class SPIFFETrustBundle: Service, Sendable {
    let path: String
    let certificates: SatelliteCertificates
    let interval: Duration
    let logger: Logger
    private let ready: @Sendable () async -> Void

    init(
        path: String, certificates: SatelliteCertificates, interval: Duration, logger: Logger,
        ready: @escaping @Sendable () async -> Void
    ) {
        self.path = path
        self.certificates = certificates
        self.interval = interval
        self.logger = logger
        self.ready = ready
    }

    /// The bundle now, or why it cannot be used.
    func load() throws -> CertificateTrust {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SPIFFEBundleError(description: "spiffe-trust-bundle: cannot read \(path)")
        }
        do {
            return try CertificateTrust(spiffeBundle: String(decoding: data, as: UTF8.self))
        } catch {
            throw SPIFFEBundleError(description: "spiffe-trust-bundle \(path): \(error.message)")
        }
    }

    func run() async throws {
        await ready()
        var file = WatchedFiles([path])
        _ = file.changed()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
            } catch {
                return
            }
            guard file.changed() != nil else { continue }
            do {
                let trust = try load()
                certificates.set(trust)
                logger.notice("SPIFFE trust bundle changed", metadata: ["authorities": "\(trust.anchors.count)"])
            } catch {
                logger.error("\(error); keeping the bundle before it")
            }
        }
    }
}

struct SPIFFEBundleError: Error, CustomStringConvertible {
    let description: String
}
