// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Tests skip MemberImportVisibility: they lean on many re-exported conveniences.
let testSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "harbor-satellite",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "satellite", targets: ["satellite"]),
        .executable(name: "ground-control", targets: ["ground-control"]),
        .executable(name: "satctl", targets: ["satctl"]),
        .library(name: "GroundControlClient", targets: ["GroundControlClient"]),
        .library(name: "OCI", targets: ["OCI"]),
        .library(name: "RegistryStore", targets: ["RegistryStore"]),
        .library(name: "RegistryServer", targets: ["RegistryServer"]),
        .library(name: "SatelliteProtocol", targets: ["SatelliteProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        .target(name: "StrictJSON", swiftSettings: strict),
        // Kubernetes admission reviews answered with image rewrites: pure, no I/O.
        .target(name: "Admission", dependencies: ["OCI"], swiftSettings: strict),
        // Files replaced whole (temp, fsync, rename, fsync the directory): the one helper for it.
        .target(name: "DurableFiles", swiftSettings: strict),
        // Background loops (a pass every interval, on a poke, ending at shutdown): the one helper for them.
        .target(
            name: "BackgroundWork",
            dependencies: [.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict
        ),
        // SHA-256 with a state that can be saved; its code is the BoringSSL inside swift-crypto.
        .target(name: "ResumableHash", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "OCI",
            dependencies: ["StrictJSON", "ResumableHash", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The machine's tz database: zone rules from TZif files, for weekly sync windows.
        .target(name: "ZoneInfo", swiftSettings: strict),
        .target(
            name: "SatelliteProtocol",
            dependencies: ["OCI", "ZoneInfo", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The admin API's documents (registries, groups, satellites as people see them, people,
        // subscriptions), shared by Ground Control and satctl; not the satellite's.
        .target(name: "FleetAPI", dependencies: ["OCI", "SatelliteProtocol"], swiftSettings: strict),
        .target(
            name: "GroundControlClient",
            dependencies: [
                "SatelliteProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ProgramSupport",
            dependencies: [
                "HTTPServerSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(name: "NetworkAddresses", swiftSettings: strict),
        .target(
            name: "HTTPServerSupport",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RegistryClient",
            dependencies: [
                "OCI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(name: "SystemShims"),
        .target(
            name: "RuntimeConfig",
            dependencies: [
                "OCI", "StrictJSON", "DurableFiles",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RegistryStore",
            dependencies: [
                "OCI",
                "SystemShims",
                "DurableFiles",
                "BackgroundWork",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RegistryServer",
            dependencies: [
                "OCI",
                "RegistryStore",
                "HTTPServerSupport",
                "SystemShims",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ImageSignatures",
            dependencies: [
                "OCI", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StateContent",
            dependencies: [
                "OCI", "RegistryClient", "SatelliteProtocol", "ImageSignatures", "StrictJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Replication",
            dependencies: [
                "OCI", "StateContent", "RegistryStore", "RegistryClient", "SatelliteProtocol", "ImageSignatures",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Satellite",
            dependencies: [
                "OCI", "SatelliteProtocol", "RegistryStore", "RegistryServer", "RegistryClient", "Replication",
                "StateContent", "ZoneInfo",
                "GroundControlClient", "RuntimeConfig", "DurableFiles", "FleetIdentity", "HTTPServerSupport",
                "Admission", "NetworkAddresses",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "satellite",
            dependencies: [
                "Satellite",
                "RuntimeConfig",
                "SatelliteProtocol",
                "Replication",
                "StateContent",
                "RegistryServer",
                "RegistryStore",
                "ProgramSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Who a satellite is: SPIFFE IDs, device keys and their requests, the certificate
        // authority that issues to them and the check of what they present. No I/O but key files.
        .target(
            name: "FleetIdentity",
            dependencies: [
                "DurableFiles",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            // Ground Control's domain and its store: no HTTP server, no background loops.
            name: "FleetDomain",
            dependencies: [
                "OCI", "SatelliteProtocol", "FleetAPI", "StrictJSON", "ImageSignatures", "DurableFiles",
                "FleetIdentity", "ZoneInfo", "NetworkAddresses",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "GroundControl",
            dependencies: [
                "FleetDomain", "FleetIdentity",
                .product(name: "X509", package: "swift-certificates"),
                "OCI", "SatelliteProtocol", "FleetAPI", "StrictJSON", "RegistryClient", "HTTPServerSupport",
                "ImageSignatures", "StateContent", "BackgroundWork", "DurableFiles",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [
                .embedInCode("openapi.json"),
                .embedInCode("Dashboard/Templates/layout.mustache"), .embedInCode("Dashboard/Templates/login.mustache"),
                .embedInCode("Dashboard/Templates/error.mustache"),
                .embedInCode("Dashboard/Templates/overview.mustache"),
                .embedInCode("Dashboard/Templates/fleet.mustache"),
                .embedInCode("Dashboard/Templates/satellite.mustache"),
                .embedInCode("Dashboard/Templates/status.mustache"),
                .embedInCode("Dashboard/Templates/groups.mustache"),
                .embedInCode("Dashboard/Templates/chart.mustache"),
                .embedInCode("Dashboard/Templates/demand.mustache"),
                .embedInCode("Dashboard/Templates/rollouts.mustache"),
                .embedInCode("Dashboard/Templates/group.mustache"),
                .embedInCode("Dashboard/Templates/registries.mustache"),
                .embedInCode("Dashboard/Templates/audit.mustache"), .embedInCode("Dashboard/Templates/events.mustache"),
                .embedInCode("Dashboard/Static/dashboard.css"), .embedInCode("Dashboard/Static/dashboard.js"),
                .embedInCode("Dashboard/Static/icon.svg"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ground-control",
            dependencies: [
                "FleetAPI",
                "GroundControl", "FleetDomain", "FleetIdentity", "DurableFiles", "ProgramSupport", "SatelliteProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "satctl",
            dependencies: [
                "FleetAPI",
                "OCI", "SatelliteProtocol", "GroundControlClient", "DurableFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "fleet-simulator",
            dependencies: [
                "SatelliteProtocol", "FleetAPI", "GroundControlClient", "FleetIdentity",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/FleetSimulator",
            swiftSettings: testSettings
        ),
        .executableTarget(
            name: "store-crash-helper",
            dependencies: ["RegistryStore", "OCI", "TestSupport", .product(name: "Logging", package: "swift-log")],
            path: "Tests/Helpers/store-crash-helper",
            swiftSettings: testSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: ["OCI", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/TestSupport",
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "OCITests", dependencies: ["OCI", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: testSettings),
        .testTarget(name: "StrictJSONTests", dependencies: ["StrictJSON"], swiftSettings: testSettings),
        .testTarget(
            name: "ProgramSupportTests", dependencies: ["ProgramSupport", "TestSupport"], swiftSettings: testSettings),
        .testTarget(
            name: "DurableFilesTests", dependencies: ["DurableFiles", "TestSupport"], swiftSettings: testSettings),
        .testTarget(
            name: "AdmissionTests",
            dependencies: ["Admission", "TestSupport"],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "BackgroundWorkTests",
            dependencies: [
                "BackgroundWork", "TestSupport",
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "ImageSignaturesTests", dependencies: ["ImageSignatures", "OCI", "TestSupport"],
            swiftSettings: testSettings),
        .testTarget(
            name: "RuntimeConfigTests",
            dependencies: [
                "RuntimeConfig", "TestSupport",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: testSettings),
        .testTarget(name: "RegistryClientTests", dependencies: ["RegistryClient", "OCI"], swiftSettings: testSettings),
        .testTarget(
            name: "ReplicationTests",
            dependencies: [
                "Replication", "StateContent", "RegistryStore", "RegistryClient", "SatelliteProtocol", "OCI",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "SatelliteTests",
            dependencies: [
                "Satellite", "SatelliteProtocol", "OCI", "TestSupport", "FleetIdentity", "StateContent", "ZoneInfo",
                "RegistryServer", "RegistryStore", "Admission", "HTTPServerSupport", "RuntimeConfig",
                "NetworkAddresses",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "SatelliteProtocolTests", dependencies: ["SatelliteProtocol", "OCI", "ZoneInfo"],
            swiftSettings: testSettings),
        .testTarget(name: "ZoneInfoTests", dependencies: ["ZoneInfo", "TestSupport"], swiftSettings: testSettings),
        .testTarget(
            name: "FleetIdentityTests",
            dependencies: [
                "FleetIdentity", "TestSupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "GroundControlTests",
            dependencies: [
                "FleetAPI",
                "GroundControl", "FleetDomain", "FleetIdentity", "GroundControlClient", "SatelliteProtocol", "OCI",
                "TestSupport", "NetworkAddresses",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "RegistryStoreTests",
            dependencies: ["RegistryStore", "OCI", "TestSupport"],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "RegistryServerTests",
            dependencies: [
                "RegistryServer", "RegistryStore", "OCI", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "FleetAPI",
                "OCI", "TestSupport", "RegistryStore", "Replication", "StateContent", "SatelliteProtocol",
                "GroundControl", "FleetDomain", "FleetIdentity",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            // Databases made by earlier releases, for the upgrade tests; read by path.
            exclude: ["Fixtures"],
            swiftSettings: testSettings
        ),
    ]
)
