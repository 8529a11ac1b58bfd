import GRDB

/// Opens `registry.sqlite` in WAL mode and brings its schema up to date.
enum MetadataDatabase {
    static func open(path: String) throws -> DatabasePool {
        var configuration = Configuration()
        // Writers queue behind each other instead of failing: several connections may write at once.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL is durable against process crashes; FULL adds power-loss safety.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        return pool
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE blobs (
                        digest TEXT PRIMARY KEY,
                        size INTEGER NOT NULL,
                        created_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE repositories (
                        name TEXT PRIMARY KEY,
                        created_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE repository_blobs (
                        repository TEXT NOT NULL,
                        digest TEXT NOT NULL,
                        PRIMARY KEY (repository, digest)
                    ) WITHOUT ROWID;
                    CREATE INDEX repository_blobs_by_digest ON repository_blobs(digest);
                    CREATE TABLE manifests (
                        repository TEXT NOT NULL,
                        digest TEXT NOT NULL,
                        media_type TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        artifact_type TEXT,
                        subject TEXT,
                        annotations TEXT,
                        created_at REAL NOT NULL,
                        PRIMARY KEY (repository, digest)
                    ) WITHOUT ROWID;
                    CREATE INDEX manifests_by_subject ON manifests(repository, subject) WHERE subject IS NOT NULL;
                    CREATE INDEX manifests_by_digest ON manifests(digest);
                    CREATE TABLE manifest_references (
                        repository TEXT NOT NULL,
                        manifest TEXT NOT NULL,
                        digest TEXT NOT NULL,
                        PRIMARY KEY (repository, manifest, digest)
                    ) WITHOUT ROWID;
                    CREATE INDEX manifest_references_by_digest ON manifest_references(digest);
                    CREATE TABLE tags (
                        repository TEXT NOT NULL,
                        tag TEXT NOT NULL,
                        digest TEXT NOT NULL,
                        updated_at REAL NOT NULL,
                        PRIMARY KEY (repository, tag)
                    ) WITHOUT ROWID;
                    CREATE INDEX tags_by_digest ON tags(repository, digest);
                    CREATE TABLE uploads (
                        id TEXT PRIMARY KEY,
                        repository TEXT NOT NULL,
                        created_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2: upload hash state") { db in
            // The running SHA-256 of an upload session, so that a restart does not read it back.
            try db.execute(sql: "ALTER TABLE uploads ADD COLUMN hash_state BLOB")
        }
        migrator.registerMigration("v3: manifest pulls") { db in
            // When each manifest was last pulled, for evicting pulled-through content least
            // recently pulled first. Written in batches, not on every pull.
            try db.execute(
                sql: """
                    CREATE TABLE manifest_pulls (
                        repository TEXT NOT NULL,
                        digest TEXT NOT NULL,
                        pulled_at REAL NOT NULL,
                        PRIMARY KEY (repository, digest)
                    ) WITHOUT ROWID
                    """)
        }
        migrator.registerMigration("v4: state roots") { db in
            // The manifests the current desired state and the one before it named, by
            // generation: pruning keeps both, so going back one generation (a rollout's abort)
            // needs no fetch.
            try db.execute(
                sql: """
                    CREATE TABLE state_roots (
                        generation INTEGER NOT NULL,
                        repository TEXT NOT NULL,
                        digest TEXT NOT NULL,
                        PRIMARY KEY (generation, repository, digest)
                    ) WITHOUT ROWID
                    """)
        }
        return migrator
    }
}
