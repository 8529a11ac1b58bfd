/// The release every program of this repository reports (`--version`, the satellite's heartbeat).
/// Raised when a release is cut; the schema fixtures under Tests name the release that made them.
public enum ReleaseVersion {
    public static let current = "0.2.0"
}
