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
}
