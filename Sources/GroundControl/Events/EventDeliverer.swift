import AsyncHTTPClient
import BackgroundWork
import Crypto
import FleetDomain
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import OCI
import ServiceLifecycle

/// Sends events to their subscribers as CloudEvents 1.0 (structured JSON), signed with each
/// subscription's secret. At least once: an event counts as delivered only on a 2xx, and is tried
/// again with backoff until then. In order: a subscription's next event waits for the one before.
/// Each subscription is delivered by its own task, so a slow receiver holds up only itself, and
/// the API only ever writes a row.
public actor EventDeliverer: Service {
    private let fleet: Fleet
    private let interval: Duration
    private let logger: Logger
    private let ready: @Sendable () async -> Void
    private let owner = UUID().uuidString
    private var inFlight: Set<String> = []
    /// Renewed with each event delivered, so it covers one send (at most `timeout`) with room to
    /// spare; a process killed mid-delivery holds its subscriptions no longer than this.
    static let lease: TimeInterval = 20
    static let timeout: TimeInterval = 10
    static let longestBackoff: TimeInterval = 300

    public init(
        fleet: Fleet, interval: Duration = .milliseconds(250), logger: Logger,
        ready: @escaping @Sendable () async -> Void = {}
    ) {
        self.fleet = fleet
        self.interval = interval
        self.logger = logger
        self.ready = ready
    }

    public func run() async throws {
        await ready()
        // A redirect is a failed delivery, retried and shown: following one would send the signed
        // body to a place nobody subscribed (a 307), or turn it into a GET without one (a 302).
        let http = HTTPClient(
            configuration: .init(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(5), read: .seconds(Int64(Self.timeout)))))
        // Cancelled at a graceful shutdown: a send under way is cut short rather than waited for
        // (its event is not marked delivered, so the next start sends it again).
        await cancelWhenGracefulShutdown { await self.deliverWhileRunning(http) }
        // Stopping on purpose (a restart, an upgrade): another process may deliver at once.
        try? await fleet.events.releaseLeases(owner: owner)
        try? await http.shutdown()
    }

    private func deliverWhileRunning(_ http: HTTPClient) async {
        var pruned = ContinuousClock.now
        await withDiscardingTaskGroup { group in
            await PeriodicWork(every: interval).run {
                do {
                    for target in try await fleet.events.claimDueSubscriptions(owner: owner, lease: Self.lease)
                    where !inFlight.contains(target.name) {
                        inFlight.insert(target.name)
                        group.addTask { await self.deliver(target, with: http) }
                    }
                    if ContinuousClock.now - pruned > .seconds(600) {
                        try await fleet.events.prune(olderThan: 7 * 86400)
                        pruned = .now
                    }
                } catch {
                    logger.warning("cannot read the events due", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    private func finished(_ name: String) {
        inFlight.remove(name)
    }

    /// Delivers what waits for one subscription, in order, until it is all sent or one fails.
    private func deliver(_ target: EventService.DeliveryTarget, with http: HTTPClient) async {
        defer { finished(target.name) }
        var cursor = target.cursor
        // Failed attempts at the event now first in line (the ones after it start at none).
        var failures = target.failures
        do {
            while !Task.isCancelled {
                let events = try await fleet.events.list(after: cursor, limit: 100)
                guard !events.isEmpty else { break }
                for event in events {
                    if !target.types.isEmpty && !target.types.contains(event.type) {
                        try await fleet.events.passOver(target.name, through: event.id, owner: owner)
                        cursor = event.id
                        continue
                    }
                    let (status, error) = await send(event, to: target, with: http)
                    let delivered = status.map { (200..<300).contains($0) } ?? false
                    let retryAfter = delivered ? nil : min(Self.longestBackoff, pow(2, Double(failures)))
                    try await fleet.events.recordAttempt(
                        target.name, event: event, attempt: failures + 1, status: status, error: error, owner: owner,
                        retryAfter: retryAfter, lease: Self.lease)
                    guard delivered else {
                        logger.info(
                            "event not delivered; trying again later",
                            metadata: [
                                "subscription": "\(target.name)", "event": "\(event.id)",
                                "error": "\(error ?? "status \(status ?? 0)")",
                            ])
                        return
                    }
                    cursor = event.id
                    failures = 0
                }
            }
            try await fleet.events.releaseLease(target.name, owner: owner)
        } catch {
            logger.warning("event delivery stopped", metadata: ["subscription": "\(target.name)", "error": "\(error)"])
        }
    }

    private func send(
        _ event: EventService.Event, to target: EventService.DeliveryTarget, with http: HTTPClient
    ) async -> (status: Int?, error: String?) {
        // Checked at every delivery: a name may resolve elsewhere than when it was subscribed.
        do throws(GroundControlError) {
            guard let url = URL(string: target.url) else { return (nil, "the subscription's URL does not parse") }
            try await fleet.eventTargets.check(try EventTargetPolicy.validatedURL(url.absoluteString))
        } catch {
            return (nil, "refused: \(error.message)")
        }
        let body = Self.cloudEvent(event)
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/cloudevents+json")
        request.headers.add(name: Self.signatureHeader, value: Self.signature(body, secret: target.secret, at: Date()))
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let response = try await http.execute(request, timeout: .seconds(Int64(Self.timeout)))
            // The answer's body is not used; read a little of it so the connection can be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return (
                Int(response.status.code),
                (200..<300).contains(Int(response.status.code)) ? nil : "HTTP \(response.status.code)"
            )
        } catch {
            return (nil, String("\(error)".prefix(300)))
        }
    }

    public static let signatureHeader = "X-Ground-Control-Signature"

    /// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the time inside what is signed,
    /// so a receiver can refuse an old delivery replayed.
    static func signature(_ body: Data, secret: String, at date: Date) -> String {
        let time = String(Int(date.timeIntervalSince1970))
        var signed = Data(time.utf8)
        signed.append(UInt8(ascii: "."))
        signed.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(time),v1=" + Data(code).lowercaseHex
    }

    /// The event in CloudEvents 1.0's JSON format.
    static func cloudEvent(_ event: EventService.Event) -> Data {
        let data = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) ?? [String: String]()
        let envelope: [String: Any] = [
            "specversion": "1.0", "id": String(event.id), "source": "/ground-control", "type": event.type,
            "subject": event.subject,
            "time": event.at.formatted(.iso8601), "datacontenttype": "application/json", "data": data,
        ]
        return (try? JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys])) ?? Data()
    }
}
