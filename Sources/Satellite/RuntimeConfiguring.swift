import Foundation
import Logging
import RuntimeConfig
import SatelliteProtocol

/// The agent's side of `--configure-runtime`: points the node's runtimes at this satellite when
/// a state is taken, and again whenever its upstreams, the runtimes Ground Control names, or the
/// advertised addresses change. A runtime dropped from the list is restored. Failures are logged;
/// the satellite keeps serving.
actor RuntimeConfiguring: SyncObserver {
    typealias Options = RuntimeMirrors.AgentOptions

    private let options: Options
    private let logger: Logger
    /// What was last applied, to skip states that change nothing for the runtimes.
    private var applied: (plan: MirrorPlan, runtimes: [Runtime])?

    init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    func accepted(_ state: DesiredState) async {
        // Ground Control's list, when it sends one, replaces the command line's.
        var runtimes = options.runtimes
        if let names = state.settings?.runtimes {
            do {
                runtimes = try Runtime.list(names.joined(separator: ","))
            } catch {
                logger.error(
                    "Ground Control names a runtime this satellite does not know; keeping the configured ones",
                    metadata: ["error": "\(error)"])
            }
        }
        guard !runtimes.isEmpty || applied?.runtimes.isEmpty == false else { return }
        guard var advertised = options.advertised else {
            logger.error(
                """
                runtimes are to be configured, but no --advertise address was given: devices would not know where \
                to pull
                """,
                metadata: ["runtimes": "\(runtimes)"])
            return
        }
        if advertised.ca == nil, let path = options.servingCA, let pem = FileManager.default.contents(atPath: path) {
            advertised.ca = .init(path: path, pem: pem)
        }
        let plan: MirrorPlan
        do {
            plan = try RuntimeMirrors.plan(for: state, advertised: advertised)
        } catch {
            logger.error("cannot configure the runtimes", metadata: ["error": "\(error)"])
            return
        }
        if let applied, applied.plan == plan, applied.runtimes == runtimes { return }
        let configurator = RuntimeConfigurator(root: options.root)
        var failed = false
        for runtime in applied?.runtimes ?? [] where !runtimes.contains(runtime) {
            do {
                let outcome = try configurator.restore(runtime)
                logger.notice("runtime restored", metadata: ["runtime": "\(runtime)", "files": "\(outcome.restored)"])
            } catch {
                failed = true
                logger.error("cannot restore a runtime", metadata: ["runtime": "\(runtime)", "error": "\(error)"])
            }
        }
        for runtime in runtimes {
            do {
                let outcome = try configurator.configure(runtime, plan: plan)
                guard !outcome.changed.isEmpty || !outcome.restored.isEmpty else { continue }
                logger.notice(
                    "runtime configured to pull through this satellite",
                    metadata: [
                        "runtime": "\(runtime)", "changed": "\(outcome.changed)",
                        "note": "\(outcome.notes.joined(separator: "; "))",
                    ])
            } catch {
                failed = true
                logger.error("cannot configure a runtime", metadata: ["runtime": "\(runtime)", "error": "\(error)"])
            }
        }
        // A failure is tried again with the next state rather than remembered as done.
        applied = failed ? nil : (plan, runtimes)
    }

    func synced(_ state: DesiredState) async {}
}
