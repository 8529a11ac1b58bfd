import Crypto
import Foundation
import _CryptoExtras

/// How a person's password is kept: scrypt with a random salt, the parameters stored beside the
/// hash (`scrypt$N$r$p$salt$hash`, base64) so they can be raised later without breaking old
/// hashes. N = 2^15, r = 8, p = 1: 32 MiB and about a tenth of a second per check here, so guessing
/// is slow and a login costs the server little.
enum PasswordHash {
    static let rounds = 1 << 15
    static let blockSize = 8
    static let parallelism = 1

    /// A hash no password is known for, checked when a name has none, to take the same time.
    static let decoy = (try? make("no one's password \(UInt64.random(in: 0...UInt64.max))")) ?? ""

    static func make(_ password: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = Data((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let key = try derive(password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism)
        return "scrypt$\(rounds)$\(blockSize)$\(parallelism)$\(salt.base64EncodedString())$\(key.base64EncodedString())"
    }

    /// Whether `password` is the one `stored` was made from (in constant time over the hash).
    static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let rounds = Int(parts[1]), let blockSize = Int(parts[2]),
            let parallelism = Int(parts[3]), let salt = Data(base64Encoded: parts[4]),
            let expected = Data(base64Encoded: parts[5]),
            (1 << 10...1 << 20).contains(rounds), (1...32).contains(blockSize), (1...16).contains(parallelism),
            let actual = try? derive(
                password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism),
            actual.count == expected.count
        else { return false }
        return zip(actual, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func derive(
        _ password: String, salt: Data, rounds: Int, blockSize: Int, parallelism: Int
    ) throws -> Data {
        let key = try KDF.Scrypt.deriveKey(
            from: Data(password.utf8), salt: salt, outputByteCount: 32, rounds: rounds, blockSize: blockSize,
            parallelism: parallelism,
            maxMemory: 256 << 20)
        return key.withUnsafeBytes { Data($0) }
    }
}
