import ResumableHash

/// SHA-256 whose running state can be saved as bytes and restored later, so that an upload
/// interrupted by a restart goes on hashing where it stopped.
public struct ResumableSHA256: Sendable {
    private var state = satellite_sha256_state()

    /// The size of a saved state.
    public static let savedStateCount = 8 * 4 + 2 * 4 + 64 + 4 + 4
    private static let savedStateVersion: UInt8 = 1

    public init() {
        satellite_sha256_init(&state)
    }

    /// Bytes fed so far.
    public var count: Int64 {
        Int64((UInt64(state.length_high_bits) << 32 | UInt64(state.length_low_bits)) / 8)
    }

    public mutating func update(bufferPointer bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        satellite_sha256_update(&state, base, bytes.count)
    }

    /// The digest of everything fed so far; hashing can go on afterwards.
    public func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        withUnsafePointer(to: state) { pointer in
            digest.withUnsafeMutableBufferPointer { satellite_sha256_final(pointer, $0.baseAddress) }
        }
        return digest
    }

    /// The running state, in a fixed little-endian layout with a version byte in front.
    public func saved() -> [UInt8] {
        var bytes: [UInt8] = [Self.savedStateVersion]
        bytes.reserveCapacity(1 + Self.savedStateCount)
        func put(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        withUnsafeBytes(of: state.h) { words in
            for index in 0..<8 { put(words.load(fromByteOffset: index * 4, as: UInt32.self)) }
        }
        put(state.length_low_bits)
        put(state.length_high_bits)
        withUnsafeBytes(of: state.block) { bytes.append(contentsOf: $0) }
        put(UInt32(state.buffered))
        put(UInt32(state.digest_length))
        return bytes
    }

    /// Restores a state written by `saved()`; nil when the bytes are not one (another version,
    /// a torn write, or numbers that do not agree with each other).
    public init?(saved bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        guard bytes.count == 1 + Self.savedStateCount, bytes[0] == Self.savedStateVersion else { return nil }
        var cursor = 1
        func take() -> UInt32 {
            defer { cursor += 4 }
            return bytes[cursor..<cursor + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) }
        }
        var restored = satellite_sha256_state()
        var words = [UInt32]()
        for _ in 0..<8 { words.append(take()) }
        withUnsafeMutableBytes(of: &restored.h) { raw in
            for (index, word) in words.enumerated() {
                raw.storeBytes(of: word, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        restored.length_low_bits = take()
        restored.length_high_bits = take()
        withUnsafeMutableBytes(of: &restored.block) { raw in
            raw.copyBytes(from: bytes[cursor..<cursor + 64])
        }
        cursor += 64
        let buffered = take()
        let digestLength = take()
        let length = UInt64(restored.length_high_bits) << 32 | UInt64(restored.length_low_bits)
        guard digestLength == 32, buffered < 64, length % 8 == 0, UInt32(length / 8 % 64) == buffered else {
            return nil
        }
        restored.buffered = buffered
        restored.digest_length = digestLength
        state = restored
    }
}
