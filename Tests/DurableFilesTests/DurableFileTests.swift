import DurableFiles
import Foundation
import TestSupport
import Testing

/// The one durable-write helper: a file is replaced whole or not at all, with the permissions
/// asked for, and nothing is written through a link planted where its temporary file goes.
@Suite struct DurableFileTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func aFileIsReplacedWholeWithTheModeAskedFor() throws {
        let work = try TemporaryDirectory("durable")
        defer { work.remove() }
        let path = work.appending("state.json")
        try DurableFile.write(Data("old".utf8), to: path, mode: .exactly(0o640))
        try DurableFile.write(Data("new".utf8), to: path, mode: .exactly(0o600))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        #expect(try Self.mode(path) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"), "no temporary file stays")
        // `.created` leaves the umask its say, as open(2) does.
        let created = work.appending("created")
        try DurableFile.write(Data(), to: created, mode: .created(0o666))
        let mask = umask(0)
        umask(mask)
        #expect(try Self.mode(created) == 0o666 & ~Int(mask))
    }

    @Test func aReplaceThatThrowsLeavesTheOldFile() async throws {
        let work = try TemporaryDirectory("durable-throw")
        defer { work.remove() }
        let path = work.appending("bundle.tar")
        try DurableFile.write(Data("whole".utf8), to: path, mode: .exactly(0o600))
        struct BrokeOff: Error {}
        await #expect(throws: BrokeOff.self) {
            try await DurableFile.replace(path, mode: .exactly(0o600), temporary: path + ".partial") { file in
                try Data("half".utf8).withUnsafeBytes { try file.write($0) }
                throw BrokeOff()
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "whole")
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        let written = try await DurableFile.replace(path, mode: .exactly(0o600)) { file in
            try Data("again".utf8).withUnsafeBytes { try file.write($0) }
            return 5
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written == 5 && text == "again")
    }

    @Test func aLinkWhereTheTemporaryFileGoesIsNeitherFollowedNorKept() throws {
        let work = try TemporaryDirectory("durable-link")
        defer { work.remove() }
        let elsewhere = work.appending("elsewhere")
        try Data("untouched".utf8).write(to: URL(fileURLWithPath: elsewhere))
        let path = work.appending("status.json")
        try FileManager.default.createSymbolicLink(atPath: path + ".tmp", withDestinationPath: elsewhere)
        try DurableFile.write(Data("status".utf8), to: path, mode: .created(0o600))
        #expect(try String(contentsOfFile: elsewhere, encoding: .utf8) == "untouched")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "status")
        // A directory that does not exist: a clear error naming the file, nothing written.
        #expect(throws: DurableFileError.self) {
            try DurableFile.write(Data(), to: work.appending("none/file"), mode: .created(0o600))
        }
    }
}
