import Foundation

/// How a change to a group reaches its members: in waves, each gated on the one before.
/// Written `waves=1,10%,50%,100%;soak=10m;max-failed=0;order=canary=true` (the group's
/// `rollout` field, `satctl groups put --rollout`).
///
/// - `waves`: how many members have the change once each wave is reached, as a count or a
///   share of the members; each above the last, ending at `100%`. Once shares, always shares.
/// - `soak`: how long a wave's members must stay online and healthy after applying the change
///   before the next wave starts (`90s`, `10m`, `1h30m`; default none).
/// - `max-failed`: how many reached members may fail (a failed sync, offline after the soak)
///   before the rollout stops (default 0).
/// - `order`: `KEY=VALUE` puts the satellites with that label first; `site` keeps each site's
///   satellites in one wave. By name otherwise, and within either.
public struct RolloutPolicy: Sendable, Hashable, CustomStringConvertible {
    /// One wave's extent: how many members have the change once it is reached.
    public enum Extent: Sendable, Hashable {
        case count(Int)
        case percent(Int)
    }

    /// Which satellites go first.
    public enum Order: Sendable, Hashable {
        case name
        /// Satellites whose label `key` is `value` first.
        case label(key: String, value: String)
        /// Each site's satellites together.
        case site
    }

    public static let maximumWaves = 20
    /// A week: a longer soak is a pause, which `satctl rollouts pause` says better.
    public static let maximumSoakSeconds = 7 * 24 * 3600

    public let waves: [Extent]
    public let soakSeconds: Int
    public let maxFailed: Int
    public let order: Order

    /// A policy to parse; the error names the part that is wrong.
    public init(_ raw: String) throws(RolloutPolicyError) {
        var waves: [Extent]?
        var soak = 0
        var maxFailed = 0
        var order = Order.name
        var seen = Set<String>()
        for part in raw.split(separator: ";", omittingEmptySubsequences: true) {
            let part = part.trimmingCharacters(in: .whitespaces)
            guard let equals = part.firstIndex(of: "=") else {
                throw RolloutPolicyError("'\(part.prefix(40))' is not key=value")
            }
            let key = String(part[..<equals])
            let value = String(part[part.index(after: equals)...])
            guard seen.insert(key).inserted else { throw RolloutPolicyError("\(key) is given twice") }
            switch key {
            case "waves": waves = try Self.waves(value)
            case "soak": soak = try Self.seconds(value)
            case "max-failed":
                guard let count = Int(value), (0...100_000).contains(count) else {
                    throw RolloutPolicyError("max-failed must be a count from 0, not '\(value.prefix(20))'")
                }
                maxFailed = count
            case "order": order = try Self.order(value)
            default:
                throw RolloutPolicyError(
                    "unknown key '\(key.prefix(40))' (known: waves, soak, max-failed, order)")
            }
        }
        guard let waves else { throw RolloutPolicyError("waves is required, e.g. waves=1,10%,100%") }
        self.waves = waves
        soakSeconds = soak
        self.maxFailed = maxFailed
        self.order = order
    }

    public var description: String {
        let waves = waves.map { extent in
            switch extent {
            case .count(let count): "\(count)"
            case .percent(let percent): "\(percent)%"
            }
        }
        var parts = ["waves=" + waves.joined(separator: ","), "soak=\(Self.duration(soakSeconds))"]
        parts.append("max-failed=\(maxFailed)")
        switch order {
        case .name: break
        case .label(let key, let value): parts.append("order=\(key)=\(value)")
        case .site: parts.append("order=site")
        }
        return parts.joined(separator: ";")
    }

    private static func waves(_ value: String) throws(RolloutPolicyError) -> [Extent] {
        let items = value.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard (1...maximumWaves).contains(items.count) else {
            throw RolloutPolicyError("waves: 1 to \(maximumWaves), not \(items.count)")
        }
        var extents: [Extent] = []
        for item in items {
            let extent: Extent
            if item.hasSuffix("%") {
                guard let percent = Int(item.dropLast()), (1...100).contains(percent) else {
                    throw RolloutPolicyError("waves: '\(item.prefix(20))' is not a share from 1% to 100%")
                }
                extent = .percent(percent)
            } else {
                guard let count = Int(item), (1...1_000_000).contains(count) else {
                    throw RolloutPolicyError("waves: '\(item.prefix(20))' is not a count of satellites or a share")
                }
                extent = .count(count)
            }
            switch (extents.last, extent) {
            case (.count(let before), .count(let now)) where now <= before,
                (.percent(let before), .percent(let now)) where now <= before:
                throw RolloutPolicyError("waves: each must be above the one before, and \(item) is not")
            case (.percent, .count):
                throw RolloutPolicyError("waves: a count (\(item)) cannot follow a share")
            default: extents.append(extent)
            }
        }
        guard extents.last == .percent(100) else {
            throw RolloutPolicyError("waves: the last must be 100%, so that every member is reached")
        }
        return extents
    }

    /// `90s`, `10m`, `1h30m`, `0`.
    static func seconds(_ value: String) throws(RolloutPolicyError) -> Int {
        if value == "0" { return 0 }
        var total = 0
        var digits = ""
        for character in value {
            if character.isASCII, character.isNumber {
                digits.append(character)
                guard digits.count <= 7 else { break }
                continue
            }
            let unit: Int? =
                switch character {
                case "h": 3600
                case "m": 60
                case "s": 1
                default: nil
                }
            guard let unit, let amount = Int(digits) else {
                throw RolloutPolicyError("soak must be a duration such as 90s, 10m or 1h30m, not '\(value.prefix(20))'")
            }
            total += amount * unit
            digits = ""
            guard total <= maximumSoakSeconds else { break }
        }
        guard digits.isEmpty, !value.isEmpty else {
            throw RolloutPolicyError("soak must be a duration such as 90s, 10m or 1h30m, not '\(value.prefix(20))'")
        }
        guard total <= maximumSoakSeconds else {
            throw RolloutPolicyError("soak: at most 7 days (168h); pause the rollout to hold it longer")
        }
        return total
    }

    static func duration(_ seconds: Int) -> String {
        guard seconds > 0 else { return "0" }
        var text = ""
        if seconds >= 3600 { text += "\(seconds / 3600)h" }
        if seconds % 3600 >= 60 { text += "\(seconds % 3600 / 60)m" }
        if seconds % 60 > 0 { text += "\(seconds % 60)s" }
        return text
    }

    private static func order(_ value: String) throws(RolloutPolicyError) -> Order {
        if value == "site" { return .site }
        if value == "name" { return .name }
        guard let equals = value.firstIndex(of: "=") else {
            throw RolloutPolicyError("order must be site, name or a label KEY=VALUE, not '\(value.prefix(40))'")
        }
        let key = String(value[..<equals])
        let label = String(value[value.index(after: equals)...])
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-")
        guard (1...63).contains(key.count), key.allSatisfy(allowed.contains), label.count <= 253,
            !label.contains(";")
        else {
            throw RolloutPolicyError("order: '\(value.prefix(40))' is not a label KEY=VALUE")
        }
        return .label(key: key, value: label)
    }
}

/// Why a rollout policy was refused.
public struct RolloutPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
