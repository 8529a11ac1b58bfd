import SatelliteProtocol

struct InMemoryRolloutRepository: RolloutRepository {
    let transaction: InMemoryTransaction

    func create(_ rollout: RolloutRecord) async throws -> RolloutRecord {
        transaction.change { tables in
            tables.lastRolloutID += 1
            var created = rollout
            created.id = tables.lastRolloutID
            created.version = 0
            tables.rollouts[created.id] = created
            return created
        }
    }

    func named(_ id: Int64) async throws -> RolloutRecord? { transaction.read { $0.rollouts[id] } }

    func latest(of group: String) async throws -> RolloutRecord? {
        transaction.read { tables in tables.rollouts.values.filter { $0.group == group }.max { $0.id < $1.id } }
    }

    func inEffect() async throws -> [RolloutRecord] {
        transaction.read { tables in
            Dictionary(grouping: tables.rollouts.values, by: \.group).values.compactMap { rollouts in
                rollouts.max { $0.id < $1.id }.flatMap { $0.state.inEffect ? $0 : nil }
            }
        }
    }

    func all(group: String?, limit: Int) async throws -> [RolloutRecord] {
        transaction.read { tables in
            Array(
                tables.rollouts.values.filter { group == nil || $0.group == group }.sorted { $0.id > $1.id }.prefix(
                    limit))
        }
    }

    func update(_ rollout: RolloutRecord, from version: Int64) async throws -> Bool {
        transaction.change { tables in
            guard tables.rollouts[rollout.id]?.version == version else { return false }
            var updated = rollout
            updated.version = version + 1
            tables.rollouts[rollout.id] = updated
            return true
        }
    }

    func gateRows(ofGroup group: String) async throws -> [RolloutGateRow] {
        transaction.read { tables in
            tables.satellites.values.filter { $0.groups.contains(group) }.map { satellite in
                let sync = satellite.report?.lastSync
                return RolloutGateRow(
                    name: satellite.name, status: satellite.status, lastSeen: satellite.lastSeen,
                    pollingUntil: satellite.pollingUntil,
                    registeredAt: satellite.registeredAt, appliedGeneration: satellite.appliedGeneration,
                    heartbeatSeconds: satellite.settings.heartbeatIntervalSeconds,
                    failedSyncAt: sync?.failed == true ? sync?.finishedAt.map(Fleet.milliseconds) : nil)
            }
        }
    }
}
