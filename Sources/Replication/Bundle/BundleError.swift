/// A bundle that cannot be written, read or applied, and why: the archive, its state, or its
/// content. `satellite import` prints it; Ground Control maps it once to an API error.
public struct BundleError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
