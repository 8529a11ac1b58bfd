import FleetAPI
import FleetDomain
import Foundation
import GroundControl
import NetworkAddresses
import SatelliteProtocol
import TestSupport
import Testing

/// Issue 25.8: subscriptions reach only what an admin meant them to: nothing only this machine
/// can reach (loopback, link-local, its own addresses) unless the server allows the host by name,
/// and no user-info in a URL every viewer sees.
extension HardeningTests {
    @Test(arguments: [
        ("http://127.0.0.1:5000/v2/library/app/blobs/uploads/", "loopback"),
        ("http://localhost:9/events", "loopback"),
        ("http://[::1]:9/", "loopback"),
        ("http://[::ffff:127.0.0.1]:9/", "loopback"),
        ("http://127.7.7.7/", "loopback"),
        ("http://0.0.0.0:9/", "unspecified"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://ops:hunter2@receiver.example/", "user name or password"),
        ("https://token@receiver.example/", "user name or password"),
    ])
    func aSubscriptionToWhatOnlyThisMachineReachesIsRefused(url: String, reason: String) async throws {
        try await APIHarness.run { api in
            let reply = try await api.admin(
                "PUT", "/api/v1/subscriptions/bad", json: #"{"url":"\#(url)","secret":"a secret of sixteen chars"}"#)
            #expect(reply.status == 400 && reply.error?.code == "FIELD_INVALID", "\(url): \(reply.status)")
            #expect(reply.error?.message.contains(reason) == true, "\(url): \(reply.error?.message ?? "")")
            #expect(
                !String(decoding: try await api.admin("GET", "/api/v1/audit").body, as: UTF8.self).contains("hunter2"))
            #expect(try await api.admin("GET", "/api/v1/subscriptions").decode([SubscriptionView].self).isEmpty)
        }
    }

    /// An admin may allow a host by name; only that host.
    @Test func anAllowedHostIsTakenAndNoOther() async throws {
        let allowing: @Sendable (inout GroundControlServer.Configuration) -> Void = {
            $0.eventAllowedHosts = ["127.0.0.1"]
        }
        try await APIHarness.run(configure: allowing) { api in
            let allowed = try await api.admin(
                "PUT", "/api/v1/subscriptions/ok",
                json: #"{"url":"http://127.0.0.1:9/","secret":"a secret of sixteen chars"}"#)
            #expect(allowed.status == 201)
            let other = try await api.admin(
                "PUT", "/api/v1/subscriptions/no",
                json: #"{"url":"http://localhost:9/","secret":"a secret of sixteen chars"}"#)
            #expect(other.status == 400)
        }
    }

    @Test func theServersOwnAddressesAndMappedForms() {
        #expect(NetworkAddress.forbidden("10.1.2.3", own: ["10.1.2.3"]) == "an address of this server")
        #expect(NetworkAddress.forbidden("10.1.2.3", own: []) == nil)
        #expect(NetworkAddress.forbidden("::ffff:169.254.1.1", own: []) == "a link-local address")
        #expect(NetworkAddress.forbidden("2001:db8::1", own: []) == nil)
        #expect(NetworkAddress.ownAddresses().contains("127.0.0.1"))
    }
}
