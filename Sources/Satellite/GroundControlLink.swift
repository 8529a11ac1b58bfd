import AsyncHTTPClient
import DurableFiles
import FleetIdentity
import Foundation
import GroundControlClient
import HTTPServerSupport
import Logging
import NIOSSL
import OCI
import RegistryStore
import Replication
import SatelliteProtocol
import ServiceLifecycle
import StateContent
import X509

/// The satellite's side of Ground Control: registers once with a one-time token, long-polls the
/// signed desired state and posts it to the replication service's inbox, and heartbeats what the
/// status snapshot holds, at once when a sync ends and on its interval.
///
/// Every state is checked against the key received at registration before it is used, and kept
/// on disk with its signature, so a restart with Ground Control out of reach goes on serving the
/// last good state, and applies it only if it still verifies.
///
/// When Ground Control refuses the credential (the satellite was revoked or deleted), the link
/// says so once, stops following and reporting, and tells replication to sync nothing more; the
/// store keeps serving what it holds.
public struct GroundControlLink: Service {
    public struct Options: Sendable {
        public var url: String
        public var dataDirectory: DataDirectory
        /// The one-time registration token; unused once `ground-control.json` exists.
        public var token: String?
        /// Seconds each long-poll may wait for a change.
        public var wait = 60
        /// PEM certificates to trust for Ground Control's server certificate instead of the
        /// system's (`--ground-control-ca`).
        public var groundControlCA: String?
        /// The satellite's identity from an operator's SPIFFE authority instead of its own key
        /// and Ground Control's certificates (`--svid-cert`, `--svid-key`, `--svid-bundle`).
        public var svid: SVIDPaths?
        /// How often the SVID files are looked at for a rotation.
        public var svidPollInterval: Duration = .seconds(1)
        /// The hosts to ask Ground Control a serving certificate for (`--tls-from-ground-control`,
        /// the first `--advertise`'s); nil to serve with files or without TLS.
        public var servingNames: [String]?
        /// The admission webhook's names when Ground Control's authority gives its certificate
        /// (`--admission-tls-from-ground-control`).
        public var admissionNames: [String]?
        public var maximumBackoff: Duration = .seconds(120)

        public init(url: String, dataDirectory: DataDirectory, token: String?) {
            self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
            self.dataDirectory = dataDirectory
            self.token = token
        }
    }

    let options: Options
    let inbox: DesiredStateInbox
    let snapshot: StatusSnapshot
    let logger: Logger
    /// Applies the log level Ground Control sets for this satellite.
    let setLogLevel: @Sendable (Logger.Level) -> Void
    private let http = HTTPClient(eventLoopGroupProvider: .singleton)
    /// Wakes the certificate renewal (Ground Control asked for a new key, or refused an ended one).
    let renewal = ChangeSignal()
    /// Heartbeats on the long-poll's connection, between polls.
    let turn = PollTurn()
    /// Counts the certificates presented: a long-poll held on the one before is asked again
    /// with the new one.
    let presenting = ChangeSignal()
    /// Hears each certificate the satellite presents from then on, with the authority it chains
    /// to (the site's peers are checked against it, and shown it).
    let onIdentity: @Sendable (ClientIdentity, CertificateTrust?) -> Void
    /// Where the serving certificate from Ground Control goes, with `options.servingNames`.
    let serving: ServingTLS?
    /// Where the admission webhook's goes, with `options.admissionNames`.
    let admissionServing: ServingTLS?

    public init(
        options: Options, inbox: DesiredStateInbox, snapshot: StatusSnapshot, logger: Logger,
        setLogLevel: @escaping @Sendable (Logger.Level) -> Void = { _ in },
        onIdentity: @escaping @Sendable (ClientIdentity, CertificateTrust?) -> Void = { _, _ in },
        serving: ServingTLS? = nil, admissionServing: ServingTLS? = nil
    ) {
        self.options = options
        self.inbox = inbox
        self.snapshot = snapshot
        self.logger = logger
        self.setLogLevel = setLogLevel
        self.onIdentity = onIdentity
        self.serving = serving
        self.admissionServing = admissionServing
    }

    public func run() async throws {
        defer { Task { [http] in try? await http.shutdown() } }
        let trust =
            try options.groundControlCA.map(GroundControlClient.trusting(caFile:)) ?? GroundControlClient.systemTrust
        let files = IdentityFiles(dataDirectory: options.dataDirectory)
        var svid = options.svid.map(SVIDFiles.init)
        let first: (ClientIdentity, CertificateTrust?)? =
            if svid == nil { (try files.loadOrCreate(), files.trustBundle()) } else {
                try await firstSVID(&svid).map { ($0.0, $0.1) }
            }
        guard var (identity, authority) = first else { return }
        let plain = GroundControlClient(baseURL: options.url, http: http, tls: trust)
        guard let credentials = try await registered(client: plain, identity: &identity, files: files) else { return }
        if svid == nil { authority = files.trustBundle() }
        let session = try Session(
            credentials: credentials, identity: identity, trust: authority, base: plain
        ) { [onIdentity, presenting] identity, trust in
            onIdentity(identity, trust)
            presenting.notify()
        }
        let svidFiles = svid
        let saved = takeSavedState(publicKey: credentials.publicKey)
        // The intervals Ground Control set hold from the start, even while it is out of reach.
        await adopt(saved?.settings, in: session)
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // A bundle's state lacks the credentials: ask for the whole state, not only a newer one.
                let known = SavedState.isFromBundle(in: options.dataDirectory) ? nil : saved?.generation
                group.addTask { await self.followState(session, savedGeneration: known) }
                group.addTask { await self.heartbeat(session) }
                if let serving, let names = options.servingNames {
                    group.addTask {
                        await self.keepServingCertificate(
                            session, .registry(serving, names: names, files: files), files: files)
                    }
                }
                if let admissionServing, let names = options.admissionNames {
                    group.addTask {
                        await self.keepServingCertificate(
                            session, .admission(admissionServing, names: names, files: files), files: files)
                    }
                }
                if let svidFiles {
                    group.addTask { await self.followSVID(session, files: svidFiles) }
                } else {
                    group.addTask { await self.renewCertificates(session, files: files) }
                }
                try await group.next()
                group.cancelAll()
            }
            // Revoked: nothing more to do, but returning would stop the whole satellite.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        }
    }

    /// Ground Control answered 401 to the credential: the satellite was revoked or deleted. Not
    /// so when the certificate presented has ended: that one is renewed, and this tried again.
    /// Nor, the first time, when the pair before the last renewal may still work (a Ground
    /// Control restored from a backup knows the certificate before, not the latest).
    private func revoke(
        _ session: Session, credentials: GroundControlCredentials, presented: Certificate?,
        refusal: GroundControlClient.Reply
    ) async throws {
        // Another task renewed or fell back meanwhile: the refusal was of what is gone.
        guard await session.identity.certificate == presented else {
            throw LinkError("Ground Control refused a certificate replaced since; trying again")
        }
        if let ended = presented?.notValidAfter, ended < Date() {
            renewal.notify()
            throw LinkError("the satellite's certificate ended at \(ended); renewing it")
        }
        // The chain, not the satellite: an authority's bundle that has not reached Ground
        // Control yet, or an SVID rotated meanwhile. Looked at again, not taken for a revocation.
        if refusal.errorCode == CertificateRefusal.code {
            renewal.notify()
            throw LinkError("Ground Control refused the certificate presented (\(refusal.errorMessage)); trying again")
        }
        let files = IdentityFiles(dataDirectory: options.dataDirectory)
        if options.svid == nil, let previous = try? files.previous(), try await session.fallBack(to: previous) {
            renewal.notify()
            throw LinkError("Ground Control refused the satellite's certificate; using the one before it, and renewing")
        }
        guard await session.revoke() else { return }
        let reason = "Ground Control refused the credential of \(credentials.name) (\(refusal.errorMessage))"
        logger.error(
            """
            \(reason): the satellite was revoked or deleted, or what it presents is not trusted. Syncing and \
            reporting stop; the store keeps serving what it holds. To rejoin, create a \
            registration token (satctl satellites token \(credentials.name)), remove \
            \(GroundControlCredentials.path(in: options.dataDirectory)) and start again with --token
            """
        )
        // A restart must not sync the last state again.
        SavedState.remove(in: options.dataDirectory)
        inbox.post(.revoked(reason))
    }

    /// The saved credentials, or new ones from registering with the token (retried while Ground
    /// Control is out of reach; a refused token stops the satellite with the reason).
    private func registered(
        client: GroundControlClient, identity: inout ClientIdentity, files: IdentityFiles
    ) async throws -> GroundControlCredentials? {
        let legacy = SavedState.legacyPaths(in: options.dataDirectory)
        try DurableFile.restrictToOwner([
            GroundControlCredentials.path(in: options.dataDirectory), SavedState.path(in: options.dataDirectory),
            legacy.document, legacy.signature,
        ])
        if let saved = try GroundControlCredentials.load(from: options.dataDirectory) {
            if saved.url != options.url {
                logger.warning("registered with \(saved.url); using it, not \(options.url)")
            }
            return saved
        }
        guard let token = options.token else {
            throw LinkError("not registered with Ground Control yet: give --token with the one-time registration token")
        }
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // An SVID is the operator's authority's: Ground Control is asked for no certificate.
                let csr = options.svid == nil ? try identity.key.request(for: nil) : nil
                let request = RegistrationRequest(token: token, csr: csr)
                let reply = try await client.send("POST", "/api/v1/register", json: request)
                guard reply.status == 200 else {
                    throw LinkError("Ground Control refused the registration token: \(reply.errorMessage)")
                }
                let registration = try reply.decode(RegistrationResponse.self)
                // A Ground Control without an authority sends none: the credential is all there is.
                if let certificate = registration.certificate, options.svid == nil {
                    identity = try ClientIdentity(
                        key: identity.key, chain: try Certificate.all(inPEM: certificate, what: "certificate"))
                    try files.replace(with: identity)
                    if let bundle = registration.trustBundle { try files.saveTrustBundle(bundle) }
                }
                let credentials = GroundControlCredentials(
                    url: options.url, name: registration.name, credential: registration.credential,
                    publicKey: registration.publicKey)
                try credentials.save(to: options.dataDirectory)
                logger.info("registered with Ground Control as \(registration.name)")
                return credentials
            } catch let error as LinkError {
                throw error
            } catch {
                failures += 1
                logger.warning("cannot reach Ground Control to register; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: RetryDelay.after(failures: failures, maximum: options.maximumBackoff))
            }
        }
        return nil
    }

    /// Posts the state saved by the last run if it still verifies, or its refusal. Returns it, to
    /// ask Ground Control only for something newer.
    private func takeSavedState(publicKey: String) -> DesiredState? {
        switch SavedState.load(in: options.dataDirectory, publicKey: publicKey) {
        case .nothing:
            return nil
        case .verified(let state, _):
            inbox.post(.state(VerifiedState(state, origin: options.url)))
            return state
        case .refused(let reason):
            logger.error("saved state refused", metadata: ["error": "\(reason)"])
            inbox.post(.refused(reason))
            return nil
        }
    }

    /// Long-polls the state; each new one is verified, saved, then posted to replication.
    private func followState(_ session: Session, savedGeneration: Int64?) async {
        // A saved state that does not verify is not asked about: Ground Control sends it anew.
        var etag = savedGeneration.map { "\"\($0)\"" }
        var failures = 0
        while !Task.isCancelled {
            do {
                let (credentials, client, presented) = await session.current
                let wait = await session.pollWait(own: options.wait)
                let seenIdentity = presenting.version
                // A renewed certificate is first used, which ends the one before it, by the next
                // request: the long-poll held on the old one is asked again at once.
                let path = "/api/v1/state" + (etag == nil ? "" : "?wait=\(wait)")
                let headers = etag.map { ["If-None-Match": $0, "Prefer": HeartbeatRequest.preference] } ?? [:]
                guard
                    let reply = try await untilPresentingChanges(
                        beyond: seenIdentity,
                        {
                            try await client.send(
                                "GET", path, bearer: credentials.credential, headers: headers,
                                timeout: .seconds(wait + 30))
                        })
                else { continue }
                await session.setPollHeld(reply.status == 200 || reply.status == 304)
                switch reply.status {
                case 304:
                    failures = 0
                    let asked = reply.headers[HeartbeatRequest.header.lowercased()] == HeartbeatRequest.requested
                    if asked {
                        await session.requestHeartbeat()
                        snapshot.changed.notify()
                    }
                    // Asked: the poll waits (not asking again at once) for the heartbeat to go on its connection.
                    await turn.pollReturned(pause: asked ? Self.syncPause : .zero)
                    continue
                case 401:
                    try await revoke(
                        session, credentials: credentials, presented: presented, refusal: reply)
                    return
                case 200:
                    guard let signature = reply.headers[StateSignature.header.lowercased()],
                        StateSignature.isValid(signature, for: reply.body, publicKey: credentials.publicKey)
                    else {
                        throw LinkError("the desired state is not signed by Ground Control's key; refused")
                    }
                    let state = try APIJSON.decoder().decode(DesiredState.self, from: reply.body)
                    try state.validate()
                    if let named = state.satellite, named != credentials.name {
                        throw LinkError(
                            "the desired state is for satellite '\(named)', not '\(credentials.name)'; refused")
                    }
                    // A state answered just before the revocation was heard of is neither kept
                    // nor applied: the revoked satellite would sync it, now or after a restart.
                    let taken = try await session.unlessRevoked {
                        try SavedState.save(reply.body, signature: signature, in: options.dataDirectory)
                        inbox.post(.state(VerifiedState(state, origin: options.url)))
                    }
                    guard taken else { return }
                    etag = reply.headers["etag"]
                    await adopt(state.settings, in: session)
                    logger.info(
                        "desired state received",
                        metadata: ["generation": "\(state.generation)", "artifacts": "\(state.artifacts.count)"])
                    failures = 0
                    // The heartbeat its sync makes goes on this connection, if the sync is quick.
                    await turn.pollReturned(pause: Self.syncPause)
                default:
                    throw LinkError("Ground Control answered \(reply.status) for the state: \(reply.errorMessage)")
                }
            } catch {
                if Task.isCancelled { return }
                await session.setPollHeld(false)
                failures += 1
                logger.warning("cannot get the desired state; serving what is held", metadata: ["error": "\(error)"])
                // Never slower than the heartbeat: a satellite hears of Ground Control's return
                // within one interval, not after a backoff grown through a long outage.
                let ceiling = min(options.maximumBackoff, .seconds(await session.heartbeatInterval))
                try? await Task.sleep(for: RetryDelay.after(failures: failures, maximum: ceiling))
            }
        }
    }

    /// `request`'s reply, or nil once the satellite presents another certificate (the request is
    /// cancelled).
    private func untilPresentingChanges(
        beyond seen: Int, _ request: @escaping @Sendable () async throws -> GroundControlClient.Reply
    ) async throws -> GroundControlClient.Reply? {
        try await withThrowingTaskGroup(of: GroundControlClient.Reply?.self) { group in
            group.addTask { try await request() }
            group.addTask { [presenting] in
                await presenting.wait(beyond: seen)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Saves a rotated credential and uses it from then on; false (said) when it cannot be saved.
    private func keepRotated(_ credential: String, in session: Session) async -> Bool {
        var (rotated, _, _) = await session.current
        rotated.credential = credential
        do {
            try rotated.save(to: options.dataDirectory)
        } catch {
            logger.warning(
                "cannot keep the rotated credential; the old one still works, retrying",
                metadata: ["error": "\(error)"])
            return false
        }
        await session.setCredentials(rotated)
        logger.info("credential rotated")
        return true
    }

    /// Reports what the status snapshot holds. What Ground Control acts on (a sync that brought
    /// something new or failed, a refused state, demand) goes at once when a sync ends, or at
    /// the next heartbeat interval; otherwise a heartbeat goes every heartbeat interval, or, to
    /// a Ground Control that takes them and while it holds the long-poll, a quiet one every
    /// quiet interval (naming the status it holds), with times, counters and disk figures sent
    /// in full every `refreshQuietIntervals` of them. Follows credential rotation.
    private func heartbeat(_ session: Session) async {
        // A rotated credential not yet kept (a full disk): Ground Control takes the old one
        // until the new one is first used, so it is used only once it is on disk.
        var unsaved: String?
        var sent: (significant: String, at: ContinuousClock.Instant, inFull: ContinuousClock.Instant)?
        while !Task.isCancelled {
            let seen = snapshot.changed.version
            if let credential = unsaved, await keepRotated(credential, in: session) { unsaved = nil }
            let report = await snapshot.heartbeat(version: ReleaseVersion.current)
            let significant = QuietHeartbeat.digest(of: (try? APIJSON.encoder().encode(report.significant)) ?? Data())
            let wait = Duration.seconds(await session.heartbeatWait)
            let asked = await session.heartbeatRequested
            if let sent, sent.significant == significant, ContinuousClock.now < sent.at + wait, !asked {
                // Looked at again every heartbeat interval, for what a sync does not announce.
                let look = min(sent.at + wait - .now, .seconds(await session.heartbeatInterval))
                await snapshot.changed.wait(beyond: seen, timeout: look)
                continue
            }
            let refreshed = sent.map { ContinuousClock.now < $0.inFull + wait * Self.refreshQuietIntervals } ?? false
            let quiet = sent?.significant == significant && refreshed ? await session.quietDigest : nil
            // On the long-poll's connection: when it is free now, or, for a quiet heartbeat, when
            // the poll returns (unless something to report comes first).
            guard let granted = await connectionTurn(quiet: quiet != nil, seen: seen, session: session) else {
                continue
            }
            do {
                defer { if granted { turn.finished() } }
                let reply = try await sendHeartbeat(report, quiet: quiet, session: session)
                guard let (answer, wasQuiet) = reply else { return }
                if asked { await session.heartbeatAnswered() }
                sent = (significant, .now, wasQuiet ? sent?.inFull ?? .now : .now)
                await adopt(answer.settings, in: session)
                for command in answer.commands where command.type == SatelliteInstruction.rotateCredential {
                    guard let credential = command.credential else { continue }
                    // The keys are Ground Control's to rotate too (an SVID's is its authority's):
                    // the certificates are renewed for new ones, whether or not the credential
                    // can be kept yet.
                    await session.requestKeyRotation(client: options.svid == nil)
                    renewal.notify()
                    if !(await keepRotated(credential, in: session)) { unsaved = credential }
                }
            } catch {
                // Tried again at the next interval, whatever changed meanwhile.
                sent = (significant, .now, sent?.inFull ?? .now)
                logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
            }
            await snapshot.changed.wait(beyond: seen, timeout: .seconds(await session.heartbeatInterval))
        }
    }

    /// How long a long-poll answered with a new state waits for the heartbeat of its sync.
    static let syncPause = Duration.seconds(30)
    /// Quiet intervals between two heartbeats in full when only times and counters changed.
    static let refreshQuietIntervals = 4

    /// Whether the heartbeat has the long-poll's connection (then `turn.finished()` after it):
    /// taken at once when the poll waits for one, else, for a quiet heartbeat while the poll is
    /// held, when it returns. Nil when the snapshot changed first: looked at again.
    private func connectionTurn(quiet: Bool, seen: Int, session: Session) async -> Bool? {
        guard quiet, await session.pollHeld else { return await turn.take(timeout: .zero) }
        let timeout = Duration.seconds(await session.pollWait(own: options.wait) + 30)
        return await withTaskGroup(of: Bool?.self) { group in
            group.addTask { await self.turn.take(timeout: timeout) }
            group.addTask {
                await snapshot.changed.wait(beyond: seen)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            // A turn granted as the other finished is still the heartbeat's to use.
            while let other = await group.next() { if other == true { return true } }
            return first
        }
    }

    /// Sends `report`, or, with `quiet` (the digest of the status Ground Control holds), only
    /// that; in full after a 412. The reply and whether it was quiet; nil once revoked.
    private func sendHeartbeat(
        _ report: StatusReport, quiet: String?, session: Session
    ) async throws -> (StatusReply, Bool)? {
        let body = try APIJSON.encoder().encode(report)
        var quiet = quiet
        while true {
            let (credentials, client, presented) = await session.current
            let reply =
                if let quiet {
                    try await client.send(
                        "POST", "/api/v1/status", bearer: credentials.credential,
                        headers: ["If-Match": QuietHeartbeat.entityTag(quiet)])
                } else {
                    try await client.send("POST", "/api/v1/status", bearer: credentials.credential, body: body)
                }
            if reply.status == 401 {
                try await revoke(session, credentials: credentials, presented: presented, refusal: reply)
                return nil
            }
            if quiet != nil && reply.status == 412 {
                // Ground Control holds another status (restored, or another process): in full.
                quiet = nil
                continue
            }
            guard reply.status == 200 else {
                throw LinkError("Ground Control answered \(reply.status): \(reply.errorMessage)")
            }
            let answer = try reply.decode(StatusReply.self)
            await session.setCadence(from: answer)
            return (answer, quiet != nil)
        }
    }
}

extension GroundControlLink {
    /// Takes the settings Ground Control sent, with the state or a heartbeat reply.
    func adopt(_ settings: SatelliteSettings?, in session: Session) async {
        guard let settings, await session.setSettings(settings) else { return }
        guard let level = Logger.Level(rawValue: settings.logLevel) else {
            logger.warning(
                "Ground Control sent an unknown log level; keeping the current one",
                metadata: ["logLevel": "\(settings.logLevel)"])
            return
        }
        let announce = {
            logger.notice(
                "settings from Ground Control",
                metadata: [
                    "logLevel": "\(level)", "syncIntervalSeconds": "\(settings.syncIntervalSeconds)",
                    "heartbeatIntervalSeconds": "\(settings.heartbeatIntervalSeconds)",
                ])
        }
        // Announced under whichever level lets the line through: the old one when going quieter.
        if level > .notice {
            announce()
            setLogLevel(level)
        } else {
            setLogLevel(level)
            announce()
        }
    }
}

/// The link's changing part: the credential (rotated), the key and certificate (renewed), the
/// client that presents them, and the settings Ground Control sends.
actor Session {
    private(set) var credentials: GroundControlCredentials
    private(set) var identity: ClientIdentity
    /// The authority `identity` chains to (Ground Control's bundle, or the SVID's).
    private var trust: CertificateTrust?
    /// The client presenting `identity`'s certificate; `base` trusts Ground Control and presents nothing.
    private(set) var client: GroundControlClient
    private let base: GroundControlClient
    private let announce: @Sendable (ClientIdentity, CertificateTrust?) -> Void
    /// New keys Ground Control asked for, counted, and the last request a renewal made a new
    /// key for: one asked while a renewal is under way is served by the next renewal.
    private var keyRotations = (asked: 0, done: 0)
    /// The same for the serving certificate's key.
    private var servingRotations = (asked: 0, done: 0)
    /// Presenting the pair before the latest, which Ground Control refused: renew at once.
    private(set) var fellBack = false
    private var settings: SatelliteSettings?
    private var revoked = false

    init(
        credentials: GroundControlCredentials, identity: ClientIdentity, trust: CertificateTrust?,
        base: GroundControlClient, announce: @escaping @Sendable (ClientIdentity, CertificateTrust?) -> Void
    ) throws {
        self.credentials = credentials
        self.identity = identity
        self.trust = trust
        self.base = base
        self.announce = announce
        client = try Self.client(presenting: identity, on: base)
        announce(identity, trust)
    }

    private static func client(
        presenting identity: ClientIdentity, on base: GroundControlClient
    ) throws
        -> GroundControlClient
    {
        var client = base
        client.tls = try identity.presented(on: base.tls ?? GroundControlClient.systemTrust)
        return client
    }

    /// Asks for new keys: the serving one, and the client one unless SPIRE keeps it.
    func requestKeyRotation(client: Bool) {
        if client { keyRotations.asked += 1 }
        servingRotations.asked += 1
    }

    /// The latest request for a new client key not yet served, which a renewal names when done.
    var keyRotationRequested: Int? { keyRotations.asked > keyRotations.done ? keyRotations.asked : nil }

    /// The same for the serving key.
    var servingRotationRequested: Int? {
        servingRotations.asked > servingRotations.done ? servingRotations.asked : nil
    }

    func servingRotated(upTo request: Int) { servingRotations.done = max(servingRotations.done, request) }

    /// What a request goes out with: the credential, the client, and the certificate it presents.
    var current: (GroundControlCredentials, GroundControlClient, Certificate?) {
        (credentials, client, identity.certificate)
    }

    /// The renewed identity, presented from now on (and the authority it chains to, when
    /// that changed too); with a new key, the rotations asked up to `rotated` are done.
    func setIdentity(_ value: ClientIdentity, rotated: Int?, trust: CertificateTrust? = nil) throws {
        client = try Self.client(presenting: value, on: base)
        identity = value
        if let trust { self.trust = trust }
        fellBack = false
        if let rotated { keyRotations.done = max(keyRotations.done, rotated) }
        announce(value, self.trust)
    }

    /// Presents `previous` instead, once per renewal, when it is another certificate still in
    /// its validity; whether it did.
    func fallBack(to previous: ClientIdentity) throws -> Bool {
        guard !fellBack, let certificate = previous.certificate, certificate != identity.certificate,
            certificate.notValidAfter > Date()
        else { return false }
        client = try Self.client(presenting: previous, on: base)
        identity = previous
        fellBack = true
        announce(previous, trust)
        return true
    }

    /// Marks the session revoked; true the first time only.
    func revoke() -> Bool {
        defer { revoked = true }
        return !revoked
    }

    /// Runs `body` unless the session is revoked; whether it ran. On the actor, so a revocation
    /// lands wholly before or wholly after it.
    func unlessRevoked(_ body: () throws -> Void) throws -> Bool {
        guard !revoked else { return false }
        try body()
        return true
    }

    func setCredentials(_ value: GroundControlCredentials) { credentials = value }

    /// Keeps `value`; true when it differs from what was kept.
    func setSettings(_ value: SatelliteSettings) -> Bool {
        defer { settings = value }
        return settings != value
    }

    var heartbeatInterval: Int64 { Int64(settings?.heartbeatIntervalSeconds ?? 30) }

    /// What Ground Control's last heartbeat reply asked (nothing, from one before quiet heartbeats).
    private var cadence: (acknowledged: String?, quietSeconds: Int?, pollWait: Int?) = (nil, nil, nil)
    /// Whether Ground Control answered the last long-poll: a held one vouches for the satellite.
    private(set) var pollHeld = false

    func setCadence(from reply: StatusReply) {
        cadence = (reply.statusDigest, reply.quietIntervalSeconds, reply.pollWaitSeconds)
    }

    func setPollHeld(_ held: Bool) { pollHeld = held }

    /// Ground Control ended the long-poll asking for a heartbeat (`HeartbeatRequest`): it goes
    /// now, and again at each heartbeat interval until one is answered.
    private(set) var heartbeatRequested = false

    func requestHeartbeat() { heartbeatRequested = true }

    func heartbeatAnswered() { heartbeatRequested = false }

    /// The digest a quiet heartbeat names, when it may be quiet: Ground Control takes quiet
    /// ones, holds the long-poll, and holds a status of this satellite.
    var quietDigest: String? {
        guard cadence.quietSeconds != nil, pollHeld else { return nil }
        return cadence.acknowledged
    }

    /// Seconds until the next heartbeat: the quiet interval while Ground Control holds the
    /// status and the long-poll, else the heartbeat interval.
    var heartbeatWait: Int64 {
        guard let quiet = cadence.quietSeconds, pollHeld, cadence.acknowledged != nil else { return heartbeatInterval }
        return max(heartbeatInterval, Int64(quiet))
    }

    /// The `?wait=` for long-polls: Ground Control's when it asks, else `own`.
    func pollWait(own: Int) -> Int { cadence.pollWait.map { min(max($0, 1), 300) } ?? own }
}

/// A failure talking to Ground Control that retrying will not fix.
struct LinkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
