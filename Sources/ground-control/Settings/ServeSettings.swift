import FleetDomain
import FleetIdentity
import Foundation
import GroundControl
import HTTPServerSupport
import Logging
import ProgramSupport

/// What `ground-control serve` is set up with, read and checked at start: a wrong value stops
/// the start with the setting named, rather than surfacing at someone's first request.
struct ServeSettings {
    var logLevel: Logger.Level
    var listen: ListenAddress
    var database: DatabaseSettings
    var tlsCertificate: String?
    var tlsKey: String?
    var resolveInterval: Duration
    var robotInterval: Duration
    var healthInterval: Duration
    var cadence: SatelliteCadence
    var tokenLifetime: Duration
    var oidc: OIDCConfiguration?
    var eventAllowHosts: [String]
    var limits: ServerLimits
    var identity: IdentitySettings
    var satelliteAuth: SatelliteAuthMode
    var spiffeTrustBundle: String?
    /// From `GROUND_CONTROL_ADMIN_TOKEN` only: a secret, never a flag or a line in a file.
    var adminToken: String?

    init(_ settings: SettingSources, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        logLevel = try settings.logLevel()
        listen = try settings.listenAddress(default: "127.0.0.1:8080")
        database = try DatabaseSettings(settings)
        tlsCertificate = settings.string("tls-cert")
        tlsKey = settings.string("tls-key")
        resolveInterval = try settings.seconds("resolve-interval", default: 60, lowest: 1)
        robotInterval = try settings.seconds("robot-interval", default: 30, lowest: 1)
        healthInterval = try settings.seconds("health-interval", default: 5, lowest: 1)
        cadence = try Self.cadence(settings)
        tokenLifetime = try settings.seconds("token-lifetime", default: 86400, lowest: 1)
        oidc = try Self.oidc(settings)
        eventAllowHosts = settings.list("event-allow-hosts")
        limits = try settings.serverLimits(descriptorsPerConnection: 1)
        identity = try IdentitySettings(settings)
        let auth = settings.string("satellite-auth", default: SatelliteAuthMode.both.rawValue)
        guard let mode = SatelliteAuthMode(rawValue: auth) else {
            throw SettingsError("satellite-auth: must be mtls, credential or both, not '\(auth.prefix(100))'")
        }
        if mode == .mtls && tlsCertificate == nil {
            throw SettingsError("satellite-auth: mtls needs tls-cert and tls-key (client certificates need TLS)")
        }
        satelliteAuth = mode
        spiffeTrustBundle = try Self.spiffeTrustBundle(settings, identity: identity, mode: mode, tls: tlsCertificate)
        // Empty counts as unset, as an example env file leaves it.
        adminToken = environment["GROUND_CONTROL_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The server's configuration these settings describe.
    var configuration: GroundControlServer.Configuration {
        var configuration = GroundControlServer.Configuration(
            host: listen.host, port: listen.port, tlsCertificatePath: tlsCertificate, tlsKeyPath: tlsKey,
            adminToken: adminToken)
        configuration.resolveInterval = resolveInterval
        configuration.robotInterval = robotInterval
        configuration.healthInterval = healthInterval
        configuration.cadence = cadence
        configuration.tokenLifetime = tokenLifetime.secondsValue
        configuration.oidc = oidc
        configuration.eventAllowedHosts = eventAllowHosts
        configuration.limits = limits
        configuration.identity = identity
        configuration.satelliteAuth = satelliteAuth
        configuration.spiffeTrustBundle = spiffeTrustBundle
        return configuration
    }

    /// `quiet-heartbeat-seconds` and `poll-wait-seconds`, whole seconds.
    private static func cadence(_ settings: SettingSources) throws -> SatelliteCadence {
        let quiet = try settings.seconds("quiet-heartbeat-seconds", default: 300, lowest: 1)
        let wait = try settings.seconds("poll-wait-seconds", default: 60, lowest: 1)
        guard wait <= .seconds(300) else {
            throw SettingsError("poll-wait-seconds: at most 300 (the longest wait a long-poll may ask for)")
        }
        return SatelliteCadence(
            quietHeartbeatSeconds: Int(quiet.components.seconds), pollWaitSeconds: Int(wait.components.seconds))
    }

    /// `spiffe-trust-bundle`, which goes with `spiffe-id-pattern` and client certificates.
    private static func spiffeTrustBundle(
        _ settings: SettingSources, identity: IdentitySettings, mode: SatelliteAuthMode, tls: String?
    ) throws -> String? {
        let bundle = settings.string("spiffe-trust-bundle")
        guard (bundle == nil) == (identity.externalPattern == nil) else {
            throw SettingsError("spiffe-trust-bundle and spiffe-id-pattern go together")
        }
        guard let bundle else { return nil }
        guard tls != nil, mode != .credential else {
            throw SettingsError(
                """
                spiffe-trust-bundle: satellites' certificates need tls-cert and tls-key, and satellite-auth mtls or \
                both
                """
            )
        }
        guard let data = FileManager.default.contents(atPath: bundle) else {
            throw SettingsError("spiffe-trust-bundle: cannot read \(bundle)")
        }
        do {
            _ = try CertificateTrust(spiffeBundle: String(decoding: data, as: UTF8.self))
        } catch {
            throw SettingsError("spiffe-trust-bundle \(bundle): \(error.message)")
        }
        return bundle
    }

    /// The OIDC settings, all or none: an issuer without a client, a secret or a redirect URL is
    /// refused at start rather than at someone's first login.
    private static func oidc(_ settings: SettingSources) throws -> OIDCConfiguration? {
        guard let issuer = settings.string("oidc-issuer") else { return nil }
        guard let clientID = settings.string("oidc-client-id"),
            let secretFile = settings.string("oidc-client-secret-file"),
            let redirect = settings.string("oidc-redirect-url")
        else {
            throw SettingsError("oidc-issuer needs oidc-client-id, oidc-client-secret-file and oidc-redirect-url")
        }
        guard let secret = FileManager.default.contents(atPath: secretFile) else {
            throw SettingsError("oidc-client-secret-file: cannot read \(secretFile)")
        }
        let roles: [String: Role]
        do {
            roles = try OIDCConfiguration.roles(settings.list("oidc-roles"))
        } catch let error as GroundControlError {
            throw SettingsError(error.message)
        }
        guard !roles.isEmpty else {
            throw SettingsError("oidc-issuer needs at least one oidc-role VALUE=ROLE, or nobody could log in")
        }
        return OIDCConfiguration(
            issuer: issuer, clientID: clientID,
            clientSecret: String(decoding: secret, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
            redirectURL: redirect, roleClaim: settings.string("oidc-role-claim", default: "groups"), roles: roles,
            usernameClaim: settings.string("oidc-username-claim", default: "preferred_username"),
            displayName: settings.string("oidc-name", default: "single sign-on"))
    }
}

extension ServeCommand {
    /// These flags as settings, for `SettingSources`.
    var flags: FlagValues {
        var flags = FlagValues([
            "listen": listen, "database": database, "secret-key-file": secretKeyFile, "tls-cert": tlsCertificate,
            "tls-key": tlsKey,
            "resolve-interval": resolveInterval, "robot-interval": robotInterval, "health-interval": healthInterval,
            "quiet-heartbeat-seconds": quietHeartbeatSeconds, "poll-wait-seconds": pollWaitSeconds,
            "token-lifetime": tokenLifetime, "log-level": logLevel, "oidc-issuer": oidcIssuer,
            "oidc-client-id": oidcClientID, "oidc-client-secret-file": oidcClientSecretFile,
            "oidc-redirect-url": oidcRedirectURL, "oidc-role-claim": oidcRoleClaim,
            "oidc-username-claim": oidcUsernameClaim, "oidc-name": oidcName, "satellite-auth": satelliteAuth,
        ])
        // The repeatable flags are singular; their settings, lists, are plural.
        flags.set("oidc-roles", oidcRoles)
        flags.set("event-allow-hosts", eventAllowHosts)
        connections.flags(into: &flags)
        identity.flags(into: &flags)
        return flags
    }
}
