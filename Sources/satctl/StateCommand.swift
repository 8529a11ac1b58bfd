import ArgumentParser
import Crypto
import Foundation
import SatelliteProtocol

/// `satctl state`: sign desired-state files for satellites that run without Ground Control
/// (`satellite run --state-file F --state-public-key K`). Works offline; no Ground Control needed.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Make a signing key and sign desired-state files for satellites run from a state file.",
        subcommands: [Keygen.self, Sign.self])

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write a new Ed25519 key pair: PREFIX.key (private, 0600) and PREFIX.pub (for --state-public-key).")

        @Option(help: "Path prefix of the two files.")
        var out: String

        func run() async throws {
            let key = Curve25519.Signing.PrivateKey()
            try writeNew(Data((key.rawRepresentation.base64EncodedString() + "\n").utf8), to: out + ".key", mode: 0o600)
            try writeNew(
                Data((key.publicKey.rawRepresentation.base64EncodedString() + "\n").utf8), to: out + ".pub", mode: 0o644
            )
            print("wrote \(out).key (keep it secret) and \(out).pub (give it to satellites with --state-public-key)")
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a state file: writes FILE.sig, checked by `satellite run --state-public-key`.")

        @Option(help: "The private key file from `satctl state keygen`.")
        var key: String

        @Argument(help: "The desired-state file (YAML or JSON), signed byte for byte as it is.")
        var file: String

        func run() async throws {
            guard let keyText = FileManager.default.contents(atPath: key) else {
                throw ValidationError("--key: cannot read \(key)")
            }
            guard
                let raw = Data(
                    base64Encoded: String(decoding: keyText, as: UTF8.self).trimmingCharacters(
                        in: .whitespacesAndNewlines)),
                let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            else {
                throw ValidationError("--key: \(key) is not a key from `satctl state keygen` (32 bytes, base64)")
            }
            guard let document = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            let signature = try StateSignature.sign(document, with: privateKey)
            try Data((signature + "\n").utf8).write(to: URL(fileURLWithPath: file + ".sig"), options: .atomic)
            print("wrote \(file).sig")
        }
    }
}

/// Creates `path` with `mode`; refuses to overwrite, so a key is never lost by a repeated command.
private func writeNew(_ data: Data, to path: String, mode: mode_t) throws {
    let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode)
    guard descriptor >= 0 else {
        throw ValidationError("cannot create \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    guard written == data.count, fsync(descriptor) == 0 else {
        throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
}
