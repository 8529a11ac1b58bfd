import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Numeric addresses as the server-side requests of both programs see them: what a name resolves
/// to, this machine's own, and which a request made on someone else's word may never reach (Ground
/// Control's event deliveries, the satellite's proxy tunnels and site peers found by DNS).
public enum NetworkAddress {
    /// Why a request this machine makes may not go to `address` (numeric), or nil: loopback,
    /// link-local (cloud metadata lives there), unspecified, multicast, broadcast, or one of `own`.
    public static func forbidden(_ address: String, own: Set<String>) -> String? {
        let kind = classify(address)
        return kind ?? (own.contains(address) ? "an address of this server" : nil)
    }

    /// Loopback, link-local, unspecified, multicast or broadcast, by the address alone.
    private static func classify(_ address: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return forbidden(v4: UInt32(bigEndian: v4.s_addr)) }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes.allSatisfy({ $0 == 0 }) { return "the unspecified address" }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return "a loopback address" }
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return "a link-local address" }
        if bytes[0] == 0xff { return "a multicast address" }
        // IPv4 mapped (::ffff:a.b.c.d) or compatible (::a.b.c.d): the IPv4 address decides.
        if bytes[0..<10].allSatisfy({ $0 == 0 })
            && ((bytes[10] == 0xff && bytes[11] == 0xff) || (bytes[10] == 0 && bytes[11] == 0))
        {
            let embedded = bytes[12..<16].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return forbidden(v4: embedded)
        }
        return nil
    }

    private static func forbidden(v4 address: UInt32) -> String? {
        switch address >> 24 {
        case 127: return "a loopback address"
        case 0: return "the unspecified address"
        case 224...239: return "a multicast address"
        default: break
        }
        if address >> 16 == 0xa9fe { return "a link-local address" }
        if address == 0xffff_ffff { return "the broadcast address" }
        return nil
    }

    /// The numeric addresses `host` names: itself when it is a literal, else what it resolves to.
    public static func resolve(_ host: String) async -> [String] {
        await withCheckedContinuation { continuation in
            // getaddrinfo blocks: off the cooperative threads.
            DispatchQueue.global().async { continuation.resume(returning: resolveBlocking(host)) }
        }
    }

    private static func resolveBlocking(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr, let numeric = numericHost(address, length: entry.pointee.ai_addrlen)
            {
                addresses.append(numeric)
            }
            cursor = entry.pointee.ai_next
        }
        return Array(Set(addresses)).sorted()
    }

    /// Every address of this machine's interfaces.
    public static func ownAddresses() -> Set<String> {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(first) }
        var addresses = Set<String>()
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            if let address = entry.pointee.ifa_addr {
                let family = Int32(address.pointee.sa_family)
                let length = socklen_t(
                    family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
                if family == AF_INET || family == AF_INET6, let numeric = numericHost(address, length: length) {
                    addresses.insert(numeric)
                }
            }
            cursor = entry.pointee.ifa_next
        }
        return addresses
    }

    private static func numericHost(_ address: UnsafePointer<sockaddr>, length: socklen_t) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return nil
        }
        // A scoped link-local address (fe80::1%eth0): the scope is not part of the address.
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: "%").first.map(String.init)
    }
}
