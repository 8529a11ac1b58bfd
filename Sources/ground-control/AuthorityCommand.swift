import ArgumentParser
import FleetDomain
import FleetIdentity
import ProgramSupport

/// `ground-control ca`: the certificate authority that signs satellites' certificates.
struct AuthorityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "The certificate authority of satellites' certificates.",
        subcommands: [Export.self])

    /// Prints the trust bundle: what satellites' peers, devices and proxies trust.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the authority's certificate chain (PEM), made first when the database has none.")

        @OptionGroup var database: DatabaseOptions

        @OptionGroup var identity: IdentityOptions

        func run() async throws {
            var flags = FlagValues([:])
            identity.flags(into: &flags)
            let settings = try IdentitySettings(try await database.sources(adding: flags))
            let authority =
                if let given = settings.givenAuthority {
                    given
                } else {
                    try await database.withStore { store in
                        try await Fleet(store: store, identity: settings).certificateAuthority()
                    }
                }
            print(try authority.bundlePEM, terminator: "")
        }
    }
}
