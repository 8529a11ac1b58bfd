import Crypto
import FleetDomain
import Foundation
import TestSupport
import Testing

/// Secrets at rest: sealed under a key that is not in the database, bound to where they are kept,
/// and a wrong key named as such.
@Suite struct SecretSealerTests {
    let sealer = SecretSealer(key: SymmetricKey(size: .bits256))

    @Test func aSealedSecretOpensWhereItWasSealedAndShowsNothingOfItself() throws {
        let sealed = try sealer.seal("registry-password", context: "registry.password:harbor")
        #expect(SecretSealer.isSealed(sealed) && !SecretSealer.isSealed("registry-password"))
        #expect(!sealed.contains("registry-password"))
        #expect(try sealer.open(sealed, context: "registry.password:harbor") == "registry-password")
        let again = try sealer.seal("registry-password", context: "registry.password:harbor")
        #expect(again != sealed, "a fresh nonce each time")
    }

    @Test func aSecretMovedToAnotherRowDoesNotOpen() throws {
        let sealed = try sealer.seal("p", context: "registry.password:harbor")
        #expect(throws: SecretSealingError.damaged("registry.password:quay")) {
            try sealer.open(sealed, context: "registry.password:quay")
        }
    }

    @Test func anotherKeyIsNamedRatherThanReportedAsDamage() throws {
        let sealed = try sealer.seal("p", context: "subscription.secret:ops")
        let other = SecretSealer(key: SymmetricKey(size: .bits256))
        let error = try #require(throws: SecretSealingError.self) {
            try other.open(sealed, context: "subscription.secret:ops")
        }
        #expect(error == .otherKey("subscription.secret:ops", sealedWith: sealer.keyID, have: other.keyID))
        #expect(error.description.contains("secret key file"))
    }

    @Test(arguments: ["", "gcs1:", "gcs1:abc:", "gcs1:abc:!!!", "plain", "gcs1:x:y:z"])
    func whatIsNotASealedValueIsRefused(_ stored: String) {
        #expect(throws: SecretSealingError.self) { try sealer.open(stored, context: "c") }
    }

    @Test func anAlteredValueIsRefused() throws {
        let sealed = try sealer.seal("secret", context: "c")
        var bytes = try #require(Data(base64Encoded: String(sealed.split(separator: ":")[2])))
        bytes[bytes.count - 1] ^= 1
        let altered = "gcs1:\(sealer.keyID):\(bytes.base64EncodedString())"
        #expect(throws: SecretSealingError.damaged("c")) { try sealer.open(altered, context: "c") }
    }

    @Test func theKeyFileIsMadeOwnerOnlyAndReadBack() throws {
        let directory = try TemporaryDirectory("secret-key")
        defer { directory.remove() }
        let path = directory.appending("secret.key")
        let made = try SecretKeyFile.loadOrCreate(path)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let read = try SecretKeyFile.loadOrCreate(path)
        #expect(SecretSealer(key: read).keyID == SecretSealer(key: made).keyID)
    }

    @Test func aKeyFileOthersMayReadOrThatHoldsNoKeyIsRefused() throws {
        let directory = try TemporaryDirectory("secret-key")
        defer { directory.remove() }
        let path = directory.appending("secret.key")
        _ = try SecretKeyFile.loadOrCreate(path)
        chmod(path, 0o644)
        let loose = try #require(throws: SecretKeyFileError.self) { try SecretKeyFile.load(path) }
        #expect(loose.description.contains("chmod 600"))
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        let garbage = try #require(throws: SecretKeyFileError.self) { try SecretKeyFile.load(path) }
        #expect(garbage.description.contains("32 bytes in base64"))
    }
}
