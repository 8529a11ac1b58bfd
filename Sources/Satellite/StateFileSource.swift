import Foundation
import Logging
import SatelliteProtocol
import ServiceLifecycle

/// A desired state an operator writes to a file (YAML or JSON), re-read when it changes.
///
/// With a public key, the file must come with its detached signature (`<file>.sig`, base64, made
/// as Ground Control signs a state); a file whose signature does not verify is refused and the
/// last good state stays applied.
public struct StateFileSource: Service {
    public struct Options: Sendable {
        public var path: String
        /// Ed25519 public key (raw 32 bytes, base64) the file's signature must verify with.
        public var publicKey: String?
        /// How often the file is looked at for changes.
        public var pollInterval: Duration = .seconds(1)

        public init(path: String, publicKey: String? = nil) {
            self.path = path
            self.publicKey = publicKey
        }
    }

    let options: Options
    let inbox: DesiredStateInbox
    let logger: Logger

    public init(options: Options, inbox: DesiredStateInbox, logger: Logger) {
        self.options = options
        self.inbox = inbox
        self.logger = logger
    }

    public func run() async throws {
        var last: (document: Data?, signature: Data?)?
        while !Task.isShuttingDownGracefully {
            let document = FileManager.default.contents(atPath: options.path)
            let signature = options.publicKey == nil ? nil : FileManager.default.contents(atPath: options.path + ".sig")
            if last == nil || last?.document != document || last?.signature != signature {
                last = (document, signature)
                do {
                    inbox.post(.state(try read(document, signature: signature)))
                } catch {
                    logger.error("state file refused; keeping the last good state", metadata: ["error": "\(error)"])
                    inbox.post(.refused("\(error)"))
                }
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: options.pollInterval) }
            } catch {
                return
            }
        }
    }

    /// Parses and, with a key, verifies one version of the file.
    package func read(_ document: Data?, signature: Data?) throws(StateFile.LoadError) -> VerifiedState {
        let path = options.path
        guard let document else {
            throw StateFile.LoadError(path: path, line: nil, field: nil, reason: "cannot read it")
        }
        if let publicKey = options.publicKey {
            guard let signature else {
                throw StateFile.LoadError(
                    path: path, line: nil, field: nil,
                    reason: "no signature: \(path).sig is required with --state-public-key")
            }
            let text = String(decoding: signature, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard StateSignature.isValid(text, for: document, publicKey: publicKey) else {
                throw StateFile.LoadError(
                    path: path, line: nil, field: nil,
                    reason: "its signature (\(path).sig) does not verify with the state public key; refused")
            }
        }
        return VerifiedState(try StateFile.parse(String(decoding: document, as: UTF8.self), path: path), origin: path)
    }
}
