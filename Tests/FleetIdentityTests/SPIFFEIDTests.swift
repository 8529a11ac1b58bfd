import FleetIdentity
import Testing

@Suite struct SPIFFEIDTests {
    @Test(arguments: [
        "spiffe://harbor-satellite.local/satellite/edge-01", "spiffe://example.org", "spiffe://a_b.c-d/x/Y.z_1",
    ])
    func validIDsReadBackAsWritten(_ text: String) throws {
        #expect(try SPIFFEID(text).description == text)
    }

    @Test(arguments: [
        "https://example.org/x", "spiffe://", "spiffe://Example.org/x", "spiffe://example.org:8443/x",
        "spiffe://user@example.org/x", "spiffe://example.org/", "spiffe://example.org//x", "spiffe://example.org/./x",
        "spiffe://example.org/../x", "spiffe://example.org/x?y=1", "spiffe://example.org/x#y",
        "spiffe://example.org/a b", "spiffe://example.org/\u{e9}",
    ])
    func malformedIDsAreRefused(_ text: String) {
        #expect(throws: IdentityError.self) { try SPIFFEID(text) }
    }

    @Test func anIDLongerThanTheSpecificationAllowsIsRefused() {
        let long = "spiffe://example.org/" + String(repeating: "a", count: 2100)
        let error = #expect(throws: IdentityError.self) { try SPIFFEID(long) }
        #expect(error?.message.contains("2048") == true)
    }

    @Test func aPatternNamesTheSatelliteInTheOneSegmentItLeavesOpen() throws {
        let pattern = try SPIFFEIDPattern("spiffe://example.org/edge/{name}/agent")
        #expect(pattern.name(in: try SPIFFEID("spiffe://example.org/edge/store-7/agent")) == "store-7")
        #expect(pattern.name(in: try SPIFFEID("spiffe://example.org/edge/store-7")) == nil)
        #expect(pattern.name(in: try SPIFFEID("spiffe://example.org/core/store-7/agent")) == nil)
        #expect(pattern.name(in: try SPIFFEID("spiffe://other.org/edge/store-7/agent")) == nil)
        #expect(try pattern.id(of: "store-7").description == "spiffe://example.org/edge/store-7/agent")

        let own = try SPIFFEIDPattern.satellites(in: "harbor-satellite.local")
        #expect(own.description == "spiffe://harbor-satellite.local/satellite/{name}")
        #expect(own.name(in: try own.id(of: "edge-01")) == "edge-01")
    }

    @Test(arguments: [
        "spiffe://example.org/edge", "spiffe://example.org/{name}/{name}", "spiffe://example.org/edge-{name}",
        "spiffe://{name}/edge", "spiffe://example.org/{nom}",
    ])
    func aPatternWithoutExactlyOneWholeNameSegmentIsRefused(_ text: String) {
        #expect(throws: IdentityError.self) { try SPIFFEIDPattern(text) }
    }
}
