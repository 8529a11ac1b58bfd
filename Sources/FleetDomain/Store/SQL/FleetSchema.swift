import Foundation

/// The fleet's tables, as numbered migrations per dialect. Append new versions; never edit old ones.
package enum FleetSchema {
    static func migrations(_ dialect: SQLDialect) -> [[String]] {
        // Types differ only in name: timestamps are Unix milliseconds, flags 0/1, JSON is text.
        let integer = dialect == .postgres ? "BIGINT" : "INTEGER"
        let serial = dialect == .postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
        return [
            [
                "CREATE TABLE fleet_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "CREATE TABLE fleet_revision (id INTEGER PRIMARY KEY CHECK (id = 1), value \(integer) NOT NULL)",
                "INSERT INTO fleet_revision (id, value) VALUES (1, 0)",
                """
                CREATE TABLE registries (
                    name TEXT PRIMARY KEY, url TEXT NOT NULL, kind TEXT NOT NULL, username TEXT, password TEXT,
                    insecure INTEGER NOT NULL, revision \(integer) NOT NULL, updated_at \(integer) NOT NULL)
                """,
                """
                CREATE TABLE image_groups (
                    name TEXT PRIMARY KEY, registry TEXT NOT NULL REFERENCES registries(name),
                    artifacts TEXT NOT NULL, revision \(integer) NOT NULL, updated_at \(integer) NOT NULL)
                """,
                "CREATE INDEX image_groups_by_registry ON image_groups(registry)",
                """
                CREATE TABLE satellites (
                    name TEXT PRIMARY KEY, status TEXT NOT NULL, labels TEXT NOT NULL, settings TEXT NOT NULL,
                    revision \(integer) NOT NULL, created_at \(integer) NOT NULL,
                    token_hash TEXT UNIQUE, token_expires_at \(integer),
                    credential_hash TEXT UNIQUE, next_credential_hash TEXT UNIQUE,
                    rotate_requested INTEGER NOT NULL DEFAULT 0,
                    registered_at \(integer), last_seen \(integer), applied_generation \(integer), report TEXT)
                """,
                """
                CREATE TABLE satellite_groups (
                    satellite TEXT NOT NULL REFERENCES satellites(name) ON DELETE CASCADE,
                    group_name TEXT NOT NULL REFERENCES image_groups(name),
                    PRIMARY KEY (satellite, group_name))
                """,
                "CREATE INDEX satellite_groups_by_group ON satellite_groups(group_name)",
                """
                CREATE TABLE audit_log (
                    id \(serial), at \(integer) NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                    target TEXT NOT NULL, detail TEXT)
                """,
            ],
            [
                // A deleted satellite's name with the revision of its deletion, so every process's
                // cache of its credential sees the change (the row itself is gone).
                "CREATE TABLE deleted_satellites (name TEXT PRIMARY KEY, revision \(integer) NOT NULL)"
            ],
            [
                // A group's pull-through rules, JSON; NULL for none.
                "ALTER TABLE image_groups ADD COLUMN proxy TEXT"
            ],
            [
                // The `site` label, apart so that a site's members are one indexed query, and the
                // address a satellite advertises to them (from its heartbeat).
                "ALTER TABLE satellites ADD COLUMN site TEXT",
                "ALTER TABLE satellites ADD COLUMN advertised_url TEXT",
                "CREATE INDEX satellites_by_site ON satellites(site)",
                dialect == .postgres
                    ? "UPDATE satellites SET site = labels::json->>'site'"
                    : "UPDATE satellites SET site = json_extract(labels, '$.site')",
                // Each site's credential is derived from its epoch; a rotation moves the epoch on.
                "CREATE TABLE sites (name TEXT PRIMARY KEY, epoch \(integer) NOT NULL)",
            ],
            [
                // The hash of the secret a registry's webhook presents; NULL: no events taken.
                "ALTER TABLE registries ADD COLUMN webhook_secret_hash TEXT"
            ],
            [
                // A group's scan gate, JSON; NULL for none.
                "ALTER TABLE image_groups ADD COLUMN scan_gate TEXT",
                "ALTER TABLE registries ADD COLUMN robot_duration_days \(integer)",
                // The robots Ground Control keeps in a Harbor for each satellite, two slots each so
                // a refresh never leaves a gap. No secret is kept: each is derived from the epoch.
                // No foreign key to satellites: a deleted satellite's row stays until Harbor has
                // deleted its robot.
                """
                CREATE TABLE harbor_robots (
                    registry TEXT NOT NULL, satellite TEXT NOT NULL, slot TEXT NOT NULL,
                    robot_id \(integer), robot_name TEXT NOT NULL, epoch \(integer) NOT NULL, projects TEXT NOT NULL,
                    expires_at \(integer), issued_revision \(integer),
                    refresh_requested INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (registry, satellite, slot))
                """,
            ],
            [
                // A group's signature policy (keys and whether one is required), JSON; NULL for none.
                "ALTER TABLE image_groups ADD COLUMN verification TEXT"
            ],
            [
                // What each bundle made for a satellite carried (its manifests' and blobs' digests,
                // JSON), so a later bundle can leave it out (`--since`). No foreign key: rows of a
                // deleted satellite are deleted with it.
                """
                CREATE TABLE satellite_bundles (
                    satellite TEXT NOT NULL, generation \(integer) NOT NULL, created_at \(integer) NOT NULL, digests
                        TEXT NOT NULL,
                    PRIMARY KEY (satellite, generation))
                """
            ],
            [
                // People: a role each, a password kept only as a scrypt hash (NULL: token or
                // OIDC login only).
                """
                CREATE TABLE users (
                    name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT, created_at \(integer) NOT NULL)
                """,
                // Personal API tokens, kept as SHA-256 hashes, each expiring.
                """
                CREATE TABLE user_tokens (
                    token_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, description TEXT,
                    created_at \(integer) NOT NULL, expires_at \(integer) NOT NULL)
                """,
                "CREATE INDEX user_tokens_by_user ON user_tokens (user_name)",
            ],
            [
                // Dashboard sessions, kept as SHA-256 hashes of the cookie's value; apart from
                // personal tokens so they are neither listed nor counted as tokens.
                """
                CREATE TABLE user_sessions (
                    session_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL,
                    created_at \(integer) NOT NULL, expires_at \(integer) NOT NULL)
                """,
                "CREATE INDEX user_sessions_by_user ON user_sessions (user_name)",
            ],
            [
                // Events for other systems: written in the transaction of what they tell (an
                // outbox), read in id order by each subscription from its cursor.
                """
                CREATE TABLE events (
                    id \(serial), type TEXT NOT NULL, subject TEXT NOT NULL, at \(integer) NOT NULL, data TEXT NOT NULL)
                """,
                // The secret signs each delivery (HMAC), so it is kept as given, like a registry's
                // password; the API never shows it. A lease lets one process deliver at a time.
                """
                CREATE TABLE event_subscriptions (
                    name TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, types TEXT NOT NULL,
                    created_at \(integer) NOT NULL, delivered_through \(integer) NOT NULL,
                    failures \(integer) NOT NULL DEFAULT 0, retry_at \(integer) NOT NULL DEFAULT 0, last_error TEXT,
                    lease_owner TEXT, lease_until \(integer) NOT NULL DEFAULT 0)
                """,
                """
                CREATE TABLE event_deliveries (
                    id \(serial), subscription TEXT NOT NULL, event_id \(integer) NOT NULL, event_type TEXT NOT NULL,
                    at \(integer) NOT NULL, attempt \(integer) NOT NULL, status \(integer), error TEXT)
                """,
                "CREATE INDEX event_deliveries_by_subscription ON event_deliveries (subscription, id)",
                // What the health watcher last saw of each satellite, so a change is told once.
                """
                CREATE TABLE satellite_health (
                    name TEXT PRIMARY KEY, state TEXT NOT NULL, drifting INTEGER NOT NULL DEFAULT 0, failed_sync_at
                        \(integer))
                """,
            ],
            [
                // Wrong passwords, by name, while they count towards a lock-out: in the database
                // so that every process serving it counts the same ones.
                "CREATE TABLE login_failures (name TEXT NOT NULL, at \(integer) NOT NULL)",
                "CREATE INDEX login_failures_by_name ON login_failures (name, at)",
                "CREATE INDEX login_failures_by_time ON login_failures (at)",
            ],
            [
                // Whether an admin stands behind the satellite's credential: one registered with a
                // token an operator issued gets no registry password and no site credential until
                // an admin approves it. `token_approved` is the unused token's, taken over at
                // registration.
                "ALTER TABLE satellites ADD COLUMN approved INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE satellites ADD COLUMN token_approved INTEGER NOT NULL DEFAULT 0",
                approvalFromTheAuditLog,
            ],
            [
                // The name Harbor shows a robot by (its robot_name_prefix setting before the name
                // Ground Control gave), as Harbor answered; NULL for rows from before, which are
                // read from Harbor when next needed.
                "ALTER TABLE harbor_robots ADD COLUMN harbor_name TEXT",
                // Projects a group names that a Harbor does not have: robots leave them out, and
                // the groups say so, until the project exists.
                """
                CREATE TABLE harbor_missing_projects (
                    registry TEXT NOT NULL, project TEXT NOT NULL, seen_at \(integer) NOT NULL, PRIMARY KEY (registry,
                        project))
                """,
            ],
            [
                // From here on registry passwords, subscription secrets and the signing key are
                // kept sealed (`SecretsAtRest`, which runs at every start after these versions):
                // a version of ground-control from before, which would hand out a sealed value
                // as a password, refuses this database.
            ],
            [
                // The certificates the authority issued to satellites, by serial (lower-case hex),
                // kept until they end so that a revocation holds on every replica. No foreign key:
                // a deleted satellite's certificates stay, revoked, until they end.
                """
                CREATE TABLE satellite_certificates (
                    serial TEXT PRIMARY KEY, satellite TEXT NOT NULL, issued_at \(integer) NOT NULL,
                    not_after \(integer) NOT NULL, revoked_at \(integer))
                """,
                "CREATE INDEX satellite_certificates_by_satellite ON satellite_certificates (satellite)",
            ],
            [
                // A group's rollout policy (RolloutPolicy's text); NULL: every member at once.
                "ALTER TABLE image_groups ADD COLUMN rollout TEXT",
                // Rollouts, the latest of a group deciding what its members hold. `baseline` is
                // the content members not reached keep (JSON); `progress` the members in order
                // with their waves, and when each wave was reached (JSON). `version` moves on
                // every update, which names the version it read.
                """
                CREATE TABLE rollouts (
                    id \(serial), group_name TEXT NOT NULL, state TEXT NOT NULL, policy TEXT NOT NULL,
                    wave \(integer) NOT NULL, baseline TEXT NOT NULL, baseline_revision \(integer) NOT NULL,
                    target_revision \(integer) NOT NULL, progress TEXT NOT NULL, reason TEXT,
                    supersedes \(integer), created_at \(integer) NOT NULL, updated_at \(integer) NOT NULL,
                    version \(integer) NOT NULL)
                """,
                "CREATE INDEX rollouts_by_group ON rollouts (group_name, id)",
            ],
            [
                // Sync windows (JSON arrays of SyncWindow texts): a group's hold back its content;
                // a site's settings (SiteSettings, JSON) hold its members' windows. `sync_now`:
                // the latest one-off window an admin opened for a satellite.
                "ALTER TABLE image_groups ADD COLUMN sync_windows TEXT",
                "ALTER TABLE sites ADD COLUMN settings TEXT",
                "ALTER TABLE satellites ADD COLUMN sync_now TEXT",
                // The budgets (with their periods) a satellite last reported exhausted, as told.
                "ALTER TABLE satellite_health ADD COLUMN budget_exhausted TEXT NOT NULL DEFAULT ''",
            ],
            [
                // Liveness without a heartbeat: until when a long-poll Ground Control holds
                // vouches for the satellite (milliseconds), and the digest of the status it
                // last sent in full, which a quiet heartbeat names instead of sending it again.
                "ALTER TABLE satellites ADD COLUMN polling_until \(integer)",
                "ALTER TABLE satellites ADD COLUMN status_digest TEXT",
                // A job one process does for all (looking at the whole fleet's health): which
                // process holds it, and until when (milliseconds) unless it renews.
                "CREATE TABLE job_leases (job TEXT PRIMARY KEY, owner TEXT NOT NULL, until \(integer) NOT NULL)",
            ],
            [
                // When a satellite last sent its status in full (milliseconds): between its looks
                // at the whole fleet, the health watcher reads only the satellites that reported
                // or changed since the last one (by revision).
                "ALTER TABLE satellites ADD COLUMN reported_at \(integer)",
                "CREATE INDEX satellites_by_reported_at ON satellites(reported_at)",
                "CREATE INDEX satellites_by_revision ON satellites(revision)",
            ],
        ]
    }

    /// Version 13's approval of the satellites already there: approved when their last token
    /// came from an admin, as the audit log tells (the bootstrap token, or a person who is an
    /// admin); any other awaits an admin.
    package static let approvalFromTheAuditLog = """
        UPDATE satellites SET approved = 1, token_approved = 1 WHERE name IN (
            SELECT target FROM audit_log WHERE id IN (
                SELECT MAX(id) FROM audit_log WHERE action IN ('satellite.create', 'satellite.token') GROUP BY target)
            AND (actor = 'admin' OR actor IN (SELECT 'user:' || name FROM users WHERE role = 'admin')))
        """

    /// Applies the versions not yet recorded, all in one transaction, so concurrent starts of
    /// several processes on one database apply each version once; then seals what is still
    /// plain (`SecretsAtRest`) and returns how many values that was.
    @discardableResult
    static func migrate(_ store: any SQLFleetStore) async throws -> Int {
        let migrations = migrations(store.dialect)
        return try await store.transactionSQL { session in
            if store.dialect == .postgres {
                // Serialises concurrent starts; released at commit.
                try await session.query("SELECT pg_advisory_xact_lock(7231)")
            }
            try await session.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"
            )
            let applied =
                try await session.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations").first?
                .integer("version") ?? 0
            guard applied <= migrations.count else {
                throw FleetStoreError.corrupt(
                    """
                    the database is at schema version \(applied); this ground-control knows \(migrations.count): \
                    upgrade it
                    """
                )
            }
            for (offset, statements) in migrations.enumerated() where offset + 1 > applied {
                for statement in statements {
                    try await session.query(statement)
                }
                try await session.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    .integer(Int64(offset + 1)), .integer(Fleet.milliseconds(.now)))
            }
            return try await SecretsAtRest.prepare(session, sealer: store.secrets)
        }
    }
}
