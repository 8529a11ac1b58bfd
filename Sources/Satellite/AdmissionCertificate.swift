import BackgroundWork
import DurableFiles
import Foundation
import HTTPServerSupport
import Logging
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The admission webhook's certificate and key (`--admission-tls-cert`, `--admission-tls-key`):
/// read at start, where a pair that cannot be used stops the satellite, then again whenever the
/// files change, as cert-manager renews a Secret and the kubelet rewrites its mounted files in
/// place. New connections take the new pair; a pair that cannot be used leaves the previous one
/// serving, with a warning.
final class AdmissionCertificate: Service, Sendable {
    let serving = ServingTLS(asksClientCertificates: false)
    private let files: Mutex<WatchedFiles>
    private let logger: Logger
    static let lookEvery: Duration = .seconds(5)

    init(certificatePath: String, keyPath: String, logger: Logger) throws {
        files = Mutex(WatchedFiles([certificatePath, keyPath]))
        self.logger = logger
        try reload()
    }

    func run() async throws {
        await PeriodicWork(every: Self.lookEvery).run(waitFirst: true) {
            do {
                if try reload() { logger.info("the admission webhook serves its renewed certificate") }
            } catch {
                logger.warning(
                    "the admission webhook's certificate files cannot be used; the previous pair serves",
                    metadata: ["error": "\(error)"])
            }
        }
    }

    /// Serves the files' pair when they changed; returns whether they did.
    @discardableResult
    private func reload() throws -> Bool {
        let (paths, contents) = files.withLock { ($0.paths, $0.changed()) }
        guard let contents else { return false }
        guard let certificate = contents[0], let key = contents[1] else {
            throw AdmissionCertificateError("cannot read \(contents[0] == nil ? paths[0] : paths[1])")
        }
        let chain: [[UInt8]]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificate)).map { try $0.toDERBytes() }
        } catch {
            throw AdmissionCertificateError("\(paths[0]) holds no PEM certificate: \(error)")
        }
        guard !chain.isEmpty else { throw AdmissionCertificateError("\(paths[0]) holds no PEM certificate") }
        do {
            try serving.set(chainDER: chain, privateKeyPEM: String(decoding: key, as: UTF8.self))
        } catch {
            throw AdmissionCertificateError("\(paths[1]) is not the key of \(paths[0]): \(error)")
        }
        return true
    }
}

struct AdmissionCertificateError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = "admission webhook: " + description
    }
}
