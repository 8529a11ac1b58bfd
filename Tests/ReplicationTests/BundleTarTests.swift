import Foundation
import NIOCore
import OCI
import Replication
import StateContent
import TestSupport
import Testing

/// The bundle's tar: what the writer makes, GNU tar and python read; what other tools write, the
/// reader takes; damaged archives are refused with the reason.
@Suite struct BundleTarTests {
    final class FileSink: BundleOutput {
        let handle: FileHandle
        init(_ path: String) throws {
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            handle = try #require(FileHandle(forWritingAtPath: path))
        }
        func write(_ buffer: ByteBuffer) async throws { try handle.write(contentsOf: Array(buffer.readableBytesView)) }
    }

    /// 144 bytes: split between ustar's prefix and name fields.
    static let longName = String(repeating: "d/", count: 70) + "file"

    /// Reads every entry: name and content.
    static func entries(_ path: String) async throws -> [(String, [UInt8])] {
        let reader = try BundleReader(path: path)
        var out: [(String, [UInt8])] = []
        while let entry = try reader.next() {
            var bytes: [UInt8] = []
            try await reader.stream { bytes += $0.readableBytesView }
            #expect(Int64(bytes.count) == entry.size)
            out.append((entry.name, bytes))
        }
        return out
    }

    @Test func whatTheWriterMakesOtherToolsReadAndSoDoesTheReader() async throws {
        let work = try TemporaryDirectory("bundle-tar")
        defer { work.remove() }
        let path = work.appending("b.tar")
        let blob = [UInt8]((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let digest = DigestHasher.digest(of: blob)
        let sink = try FileSink(path)
        let writer = BundleWriter(output: sink)
        try await writer.file("oci-layout", BundleLayout.layoutContent)
        try await writer.file(Self.longName, Array("long".utf8))
        try await writer.blob(digest, size: Int64(blob.count)) { blobSink in
            for start in stride(from: 0, to: blob.count, by: 65_536) {
                try await blobSink.receive(ByteBuffer(bytes: blob[start..<min(start + 65_536, blob.count)]))
            }
        }
        try await writer.finish()
        try sink.handle.close()

        let tar = try requireTool("tar", package: "tar")
        let listed = try await runChecked(tar, ["-tf", path])
        #expect(listed.contains("blobs/sha256/\(digest.encoded)") && listed.contains(Self.longName), "\(listed)")
        try FileManager.default.createDirectory(atPath: work.appending("x"), withIntermediateDirectories: true)
        try await runChecked(tar, ["-xf", path, "-C", work.appending("x")])
        #expect(
            try [UInt8](Data(contentsOf: URL(fileURLWithPath: work.appending("x/blobs/sha256/\(digest.encoded)"))))
                == blob)

        let read = try await Self.entries(path)
        #expect(read.map(\.0) == ["oci-layout", Self.longName, BundleLayout.blobPath(digest)])
        #expect(read.last?.1 == blob)

        // A blob that delivers other bytes than its digest breaks the bundle off.
        let broken = BundleWriter(output: try FileSink(work.appending("broken.tar")))
        await #expect(throws: ReplicationError.self) {
            try await broken.blob(digest, size: 4) { try await $0.receive(ByteBuffer(bytes: [1, 2, 3, 4])) }
        }
    }

    @Test func archivesOtherToolsWriteAreRead() async throws {
        let work = try TemporaryDirectory("bundle-tar-other")
        defer { work.remove() }
        let python = try requireTool("python3", package: "python3")
        // pax headers (a 160-byte name, a non-ASCII one), directories, GNU and ustar entries.
        let script = """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
                d = tarfile.TarInfo("blobs/sha256"); d.type = tarfile.DIRTYPE; t.addfile(d)
                for name, data in [("./oci-layout", b"{}"), ("x/" + "p" * 160, b"pax"), ("caf\\u00e9", b"utf8"), \
                ("empty", b"")]:
                    info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
            with tarfile.open(sys.argv[2], "w") as t:
                info = tarfile.TarInfo("link"); info.type = tarfile.SYMTYPE; info.linkname = "/etc/passwd"; \
                t.addfile(info)
            """
        try await runChecked(python, ["-c", script, work.appending("pax.tar"), work.appending("link.tar")])
        let read = try await Self.entries(work.appending("pax.tar"))
        #expect(read.map(\.0) == ["oci-layout", "x/" + String(repeating: "p", count: 160), "café", "empty"])
        #expect(read.map { String(decoding: $0.1, as: UTF8.self) } == ["{}", "pax", "utf8", ""])

        await #expect(throws: ReplicationError.self) { _ = try await Self.entries(work.appending("link.tar")) }

        // Cut short inside a blob, and a damaged header.
        let whole = try Data(contentsOf: URL(fileURLWithPath: work.appending("pax.tar")))
        try whole.prefix(2048 + 100).write(to: URL(fileURLWithPath: work.appending("cut.tar")))
        var damaged = whole
        damaged[2048 + 1] ^= 0xff
        try damaged.write(to: URL(fileURLWithPath: work.appending("damaged.tar")))
        for name in ["cut.tar", "damaged.tar"] {
            await #expect(throws: ReplicationError.self, "\(name)") { _ = try await Self.entries(work.appending(name)) }
        }
    }

    /// Issue 25.6: sizes from a header are refused before any arithmetic can overflow on them.
    @Test(arguments: ["9223372036854775807", "9223372036854775296", "1125899906842625", "-1", "99999999999999999999"])
    func paxSizesNoBundleCanHaveAreRefused(size: String) throws {
        let body = " size=\(size)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        #expect(throws: ReplicationError.self) { _ = try TarHeader.paxOverrides(Array("\(length)\(body)".utf8)) }
        #expect(TarHeader(name: "x", size: Int64.max).paddedSize == nil)
        #expect(TarHeader(name: "x", size: -1).paddedSize == nil)
    }

    @Test(arguments: [
        "2 \n", "0 size=1\n", "999 size=1\n", "9 sizeX1\n", "10 size=12X", "9223372036854775807 size=1\n",
    ])
    func malformedPaxRecordsAreRefused(record: String) {
        #expect(throws: ReplicationError.self) { _ = try TarHeader.paxOverrides(Array(record.utf8)) }
    }

    @Test func sizesFromEightGiBUpAreWrittenInBase256() throws {
        for size: Int64 in [0, 511, 512, 8 * 1024 * 1024 * 1024 - 1, 8 * 1024 * 1024 * 1024, 1 << 40] {
            let header = TarHeader(name: "blobs/sha256/x", size: size)
            let decoded = try TarHeader.decode(try header.encoded())
            #expect(decoded == header, "\(size)")
        }
    }
}
