import FleetIdentity
import Foundation
import TestSupport
import Testing

@Suite struct DeviceKeyTests {
    @Test func theKeyIsMadeOnceOwnerOnlyAndReadBack() throws {
        let directory = try TemporaryDirectory("device-key")
        defer { directory.remove() }
        let path = directory.appending("identity.key")
        let made = try DeviceKey.loadOrCreate(path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try DeviceKey.loadOrCreate(path).publicKey == made.publicKey)
        #expect(try DeviceKey.load(directory.appending("absent.key")) == nil)

        #expect(chmod(path, 0o644) == 0)
        let readable = #expect(throws: IdentityError.self) { try DeviceKey.load(path) }
        #expect(readable?.message.contains("chmod 600") == true)

        let garbage = directory.appending("garbage.key")
        #expect(
            FileManager.default.createFile(
                atPath: garbage, contents: Data("not a key".utf8), attributes: [.posixPermissions: 0o600]))
        #expect(throws: IdentityError.self) { try DeviceKey.load(garbage) }
    }
}
