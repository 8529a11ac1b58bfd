import FleetDomain

/// Documents Ground Control serves.
public enum GroundControlDocument {
    /// The OpenAPI document of API v1 (`openapi.json` in this module, embedded at build time).
    public static var openAPI: String { String(decoding: PackageResources.openapi_json, as: UTF8.self) }
}
