/// Byte counts as operators write them: `500000`, `512K`, `10M`, `20G`, `1T` (powers of 1024).
public enum ByteSize {
    /// The count, or nil for anything but a positive whole number with an optional unit.
    public static func parse(_ raw: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = Substring(raw)
        var multiplier: Int64 = 1
        if let last = raw.uppercased().last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard digits.allSatisfy(\.isASCII), let value = Int64(digits), value > 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// A count for people: `512 B`, `3.4 MiB`, `1.2 GiB`.
    public static func show(_ bytes: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard bytes >= 1024 else { return "\(bytes) B" }
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
