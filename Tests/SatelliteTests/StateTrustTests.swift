import Crypto
import Foundation
import Logging
import Satellite
import SatelliteProtocol
import TestSupport
import Testing

/// How states are trusted before the agent applies them: operator files with a detached
/// signature, and the state Ground Control sent, as saved for restarts.
@Suite struct StateTrustTests {
    static let document = Data(
        """
        schemaVersion: 1
        generation: 3
        upstreams:
          - name: central
            url: http://127.0.0.1:5000
        artifacts:
          - upstream: central
            repository: apps/app
            tag: v1
        """.utf8)

    let key = Curve25519.Signing.PrivateKey()
    var publicKey: String { key.publicKey.rawRepresentation.base64EncodedString() }

    func source(publicKey: String?) -> StateFileSource {
        StateFileSource(
            options: .init(path: "/edge/state.yaml", publicKey: publicKey), inbox: DesiredStateInbox(),
            logger: Logger(label: "test"))
    }

    @Test func aStateFileWithoutAKeyNeedsNoSignature() throws {
        let verified = try source(publicKey: nil).read(Self.document, signature: nil)
        #expect(verified.state.generation == 3 && verified.origin == "/edge/state.yaml")
    }

    @Test func aStateFileWithAKeyNeedsAMatchingSignature() throws {
        let signature = Data(try StateSignature.sign(Self.document, with: key).utf8)
        let source = source(publicKey: publicKey)
        #expect(try source.read(Self.document, signature: signature + Data("\n".utf8)).state.generation == 3)

        #expect(throws: StateFile.LoadError.self) { try source.read(Self.document, signature: nil) }
        var changed = Self.document
        changed.append(contentsOf: Array("\n# one more line".utf8))
        #expect { try source.read(changed, signature: signature) } throws: { "\($0)".contains("does not verify") }
        let stranger = Data(try StateSignature.sign(Self.document, with: Curve25519.Signing.PrivateKey()).utf8)
        #expect { try source.read(Self.document, signature: stranger) } throws: { "\($0)".contains("does not verify") }
    }

    @Test func aSavedStateIsUsedOnlyWhileItsSignatureVerifies() throws {
        let directory = try TemporaryDirectory("saved-state")
        defer { directory.remove() }
        #expect(SavedState.load(in: DataDirectory(directory.path), publicKey: publicKey).isNothing)

        try SavedState.save(
            Self.document, signature: try StateSignature.sign(Self.document, with: key),
            in: DataDirectory(directory.path))
        let path = SavedState.path(in: DataDirectory(directory.path))
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        guard
            case .verified(let state, let document) = SavedState.load(
                in: DataDirectory(directory.path), publicKey: publicKey)
        else {
            Issue.record("the saved state did not verify")
            return
        }
        #expect(state.generation == 3 && document == Self.document)

        // Another key, or one byte changed: refused.
        let otherKey = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation.base64EncodedString()
        #expect(
            SavedState.load(in: DataDirectory(directory.path), publicKey: otherKey).refusal?.contains("does not verify")
                == true)
        var contents = try Data(contentsOf: URL(fileURLWithPath: path))
        contents[contents.count - 2] ^= 0x01
        try contents.write(to: URL(fileURLWithPath: path))
        #expect(
            SavedState.load(in: DataDirectory(directory.path), publicKey: publicKey).refusal?.contains(
                "does not verify") == true)
        try Data("no newline".utf8).write(to: URL(fileURLWithPath: path))
        #expect(
            SavedState.load(in: DataDirectory(directory.path), publicKey: publicKey).refusal?.contains("damaged")
                == true)
    }

    @Test func aStateSavedAsTwoFilesByAnOlderVersionIsReadAndReplaced() throws {
        let directory = try TemporaryDirectory("saved-state")
        defer { directory.remove() }
        let legacy = SavedState.legacyPaths(in: DataDirectory(directory.path))
        try Self.document.write(to: URL(fileURLWithPath: legacy.document))
        try Data(try StateSignature.sign(Self.document, with: key).utf8).write(
            to: URL(fileURLWithPath: legacy.signature))
        guard case .verified = SavedState.load(in: DataDirectory(directory.path), publicKey: publicKey) else {
            Issue.record("the older layout was not read")
            return
        }
        try SavedState.save(
            Self.document, signature: try StateSignature.sign(Self.document, with: key),
            in: DataDirectory(directory.path))
        #expect(
            !FileManager.default.fileExists(atPath: legacy.document)
                && !FileManager.default.fileExists(atPath: legacy.signature))
    }
}

/// The in-memory channels between the agent's services.
@Suite struct PipelineChannelTests {
    @Test func theInboxKeepsOnlyTheLatestNews() throws {
        let inbox = DesiredStateInbox()
        #expect(inbox.news(after: 0) == nil)
        inbox.post(.refused("first"))
        inbox.post(.refused("second"))
        let latest = try #require(inbox.news(after: 0))
        #expect(latest.version == 2 && latest.news == .refused("second"))
        #expect(inbox.news(after: latest.version) == nil)
    }

    @Test func aWaiterWakesOnAChangeAfterWhatItSawAndNotBefore() async throws {
        let signal = ChangeSignal()
        let seen = signal.version
        signal.notify()
        // A change made before waiting is not missed.
        await signal.wait(beyond: seen)

        let waiting = Task {
            await signal.wait(beyond: signal.version); return ContinuousClock.now
        }
        try await Task.sleep(for: .milliseconds(50))
        let notified = ContinuousClock.now
        signal.notify()
        #expect(await waiting.value >= notified)

        // The timeout ends a wait with no change; cancelling ends it too.
        let started = ContinuousClock.now
        await signal.wait(beyond: signal.version, timeout: .milliseconds(50))
        #expect(ContinuousClock.now - started >= .milliseconds(50))
        let cancelled = Task { await signal.wait(beyond: signal.version) }
        cancelled.cancel()
        await cancelled.value
    }
}

extension SavedState.Found {
    var isNothing: Bool { if case .nothing = self { true } else { false } }
    var refusal: String? { if case .refused(let reason) = self { reason } else { nil } }
}
