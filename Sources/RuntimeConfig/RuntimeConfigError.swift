/// Why a runtime's configuration was not changed: the input named, or the file and line that
/// could not be read. Nothing is written when one is thrown.
public struct RuntimeConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A flag or the state gives something unusable (an advertise URL of 0.0.0.0).
        case invalidInput
        /// An existing file is not valid in its format; it is left untouched.
        case unparsable
        /// An existing file is valid but set up in a way a mirror cannot be added to safely.
        case unsupported
        /// Reading or writing a file failed.
        case io
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A file that could not be parsed, at `line` when the parser said.
    static func unparsable(_ path: String, line: Int?, _ reason: String) -> RuntimeConfigError {
        RuntimeConfigError(.unparsable, "\(path)\(line.map { ":\($0)" } ?? ""): \(reason); the file is left as it was")
    }

    public var description: String { message }
}
