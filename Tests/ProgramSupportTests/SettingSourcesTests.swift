import Foundation
import ProgramSupport
import TestSupport
import Testing

/// Each setting comes from the first of flag, environment, settings file, default; and text
/// becomes a value in one place, with an error naming the setting.
@Suite struct SettingSourcesTests {
    func sources(
        _ flags: FlagValues = FlagValues(), environment: [String: String] = [:], file: String? = nil
    ) async throws -> SettingSources {
        guard let file else {
            return try await SettingSources(
                flags: flags, configPath: nil, environmentPrefix: "SATELLITE_", environment: environment)
        }
        let directory = try TemporaryDirectory("settings")
        defer { directory.remove() }
        let path = directory.appending("settings.yaml")
        try Data(file.utf8).write(to: URL(fileURLWithPath: path))
        return try await SettingSources(
            flags: flags, configPath: path, environmentPrefix: "SATELLITE_", environment: environment)
    }

    @Test func aFlagBeatsTheEnvironmentWhichBeatsTheFileWhichBeatsTheDefault() async throws {
        let file = "data-dir: from-file\nlisten: 127.0.0.1:6000\n"
        let environment = ["SATELLITE_DATA_DIR": "from-env", "OTHER_DATA_DIR": "not ours"]
        let all = try await sources(FlagValues(["data-dir": "from-flag"]), environment: environment, file: file)
        #expect(all.string("data-dir") == "from-flag")
        let noFlag = try await sources(environment: environment, file: file)
        #expect(noFlag.string("data-dir") == "from-env")
        let onlyFile = try await sources(file: file)
        #expect(onlyFile.string("data-dir") == "from-file")
        #expect(try onlyFile.listenAddress(default: "127.0.0.1:5050").port == 6000)
        let none = try await sources()
        #expect(none.string("data-dir", default: "satellite-data") == "satellite-data")
    }

    @Test func anEmptyVariableCountsAsUnset() async throws {
        let settings = try await sources(environment: ["SATELLITE_DATA_DIR": ""], file: "data-dir: from-file\n")
        #expect(settings.string("data-dir") == "from-file")
    }

    @Test func numbersInTheFileAreReadAsTheirText() async throws {
        let settings = try await sources(file: "gc-interval: 90\nmax-connections: 12\nstall-timeout: 0.5\n")
        #expect(try settings.seconds("gc-interval", default: 3600) == .seconds(90))
        #expect(try settings.wholeNumber("max-connections", in: 1...Int.max) == 12)
        #expect(try settings.seconds("stall-timeout", default: 15) == .milliseconds(500))
    }

    @Test(arguments: ["soon", "-1", "inf", "nan", "1e12", ""])
    func secondsThatWillNotDoAreRefusedByName(raw: String) async throws {
        let settings = try await sources(FlagValues(["gc-interval": raw]))
        let error = try #require(throws: SettingsError.self) { try settings.seconds("gc-interval", default: 1) }
        #expect(error.description.hasPrefix("gc-interval must be a number of seconds"))
    }

    @Test func aDurationBelowItsLowestIsRaisedToIt() async throws {
        let settings = try await sources(FlagValues(["health-interval": "0"]))
        #expect(try settings.seconds("health-interval", default: 5, lowest: 1) == .seconds(1))
        #expect(try settings.seconds("resolve-interval", default: 60, lowest: 1) == .seconds(60))
    }

    @Test func wholeNumbersOutsideTheirRangeAreRefusedByName() async throws {
        let settings = try await sources(FlagValues(["max-concurrent-blobs": "65", "max-connections": "x"]))
        let high = try #require(throws: SettingsError.self) {
            try settings.wholeNumber("max-concurrent-blobs", in: 1...64)
        }
        #expect(high.description == "max-concurrent-blobs must be a whole number from 1 to 64, not '65'")
        let text = try #require(throws: SettingsError.self) {
            try settings.wholeNumber("max-connections", in: 1...Int.max)
        }
        #expect(text.description == "max-connections must be a whole number from 1, not 'x'")
    }

    @Test func aListComesFromRepeatedFlagsACommaListOrAYAMLSequence() async throws {
        let flags = try await sources(
            FlagValues().with("advertise", ["http://a:5050", "http://b:5050"]),
            environment: ["SATELLITE_ADVERTISE": "http://c:5050"])
        #expect(flags.list("advertise") == ["http://a:5050", "http://b:5050"])
        let environment = try await sources(environment: ["SATELLITE_ADVERTISE": "http://c:5050, http://d:5050,"])
        #expect(environment.list("advertise") == ["http://c:5050", "http://d:5050"])
        let commas = try await sources(file: "advertise: http://e:5050,http://f:5050\n")
        #expect(commas.list("advertise") == ["http://e:5050", "http://f:5050"])
        let sequence = try await sources(file: "advertise:\n  - http://g:5050\n  - http://h:5050\n")
        #expect(sequence.list("advertise") == ["http://g:5050", "http://h:5050"])
        #expect(try await sources().list("advertise").isEmpty)
    }

    @Test func theLogLevelIsOneOfSwiftLogsLevels() async throws {
        #expect(try await sources().logLevel() == .info)
        #expect(try await sources(FlagValues(["log-level": "debug"])).logLevel() == .debug)
        let loud = try await sources(FlagValues(["log-level": "loud"]))
        let error = try #require(throws: SettingsError.self) { try loud.logLevel() }
        #expect(error.description.hasPrefix("log-level must be one of trace, debug"))
    }

    @Test(arguments: ["just text\n", "- a\n- b\n", "data-dir: [unclosed\n"])
    func aSettingsFileThatIsNotAMappingIsRefused(text: String) async throws {
        let error = await #expect(throws: SettingsError.self) { try await sources(file: text) }
        #expect(error?.description.contains("--config") == true)
    }

    @Test func aMissingSettingsFileIsRefused() async throws {
        let error = await #expect(throws: SettingsError.self) {
            try await SettingSources(
                flags: FlagValues(), configPath: "/nonexistent.yaml", environmentPrefix: "SATELLITE_",
                environment: [:])
        }
        #expect(error?.description == "cannot read --config /nonexistent.yaml")
    }
}

extension FlagValues {
    func with(_ name: String, _ list: [String]) -> FlagValues {
        var flags = self
        flags.set(name, list)
        return flags
    }
}
