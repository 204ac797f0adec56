namespace Sluice.Query.Persistence;

/// <summary>
/// The state database's schema as numbered scripts, applied in order once each. A released
/// script is never edited: a change is a new script with the next number.
/// </summary>
internal static class StateSchema
{
    /// <summary>The schema every table lives in.</summary>
    public const string Name = "sluice_query";

    /// <summary>Any number: two replicas starting together take this advisory lock, so one migrates and the other waits.</summary>
    public const long MigrationLockKey = 0x51_75_65_72_79_53_74_61; // "QuerySta" in ASCII; it only has to differ from other advisory locks in the database.

    /// <summary>Held by the replica relaying the outbox, so messages leave in the order they were written.</summary>
    public const long OutboxRelayLockKey = 0x51_75_65_72_79_4F_75_74; // "QueryOut" in ASCII.

    public static IReadOnlyList<(int Version, string Description, string Sql)> Migrations { get; } =
    [
        (1, "saga instances", $"""
            CREATE TABLE {Name}.saga_instances (
                saga_type      text        NOT NULL,
                correlation_id uuid        NOT NULL,
                current_state  text,
                version        integer     NOT NULL,
                data           jsonb       NOT NULL,
                updated_at     timestamptz NOT NULL,
                PRIMARY KEY (saga_type, correlation_id)
            );
            CREATE INDEX saga_instances_state ON {Name}.saga_instances (saga_type, current_state);
            """),
        (2, "statements", $"""
            CREATE TABLE {Name}.statements (
                id           text        PRIMARY KEY,
                caller       text        NOT NULL,
                status       text        NOT NULL,
                created_at   timestamptz NOT NULL,
                updated_at   timestamptz NOT NULL,
                client_token text,
                data         jsonb       NOT NULL
            );
            CREATE INDEX statements_caller ON {Name}.statements (caller, created_at DESC);
            CREATE INDEX statements_status ON {Name}.statements (status);
            CREATE INDEX statements_created ON {Name}.statements (created_at);
            """),
        (3, "message inbox", $"""
            CREATE TABLE {Name}.inbox (
                consumer    text        NOT NULL,
                message_id  uuid        NOT NULL,
                received_at timestamptz NOT NULL,
                PRIMARY KEY (consumer, message_id)
            );
            CREATE INDEX inbox_received ON {Name}.inbox (received_at);
            """),
        (4, "event outbox", $"""
            CREATE TABLE {Name}.outbox (
                id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                message_id   uuid        NOT NULL UNIQUE,
                ordering_key text        NOT NULL,
                message_type text        NOT NULL,
                body         jsonb       NOT NULL,
                created_at   timestamptz NOT NULL DEFAULT now(),
                sent_at      timestamptz
            );
            CREATE INDEX outbox_pending ON {Name}.outbox (id) WHERE sent_at IS NULL;
            CREATE INDEX outbox_sent ON {Name}.outbox (sent_at) WHERE sent_at IS NOT NULL;
            """),
        // Replicas sharing the database: each renews its lease (last_seen, the database's clock);
        // a statement not ended whose runner's lease expired is taken over by a live replica. A
        // client token names one statement per caller across replicas: the unique index decides a race.
        (5, "replicas", $"""
            CREATE TABLE {Name}.replicas (
                id         text        PRIMARY KEY,
                started_at timestamptz NOT NULL,
                last_seen  timestamptz NOT NULL
            );
            ALTER TABLE {Name}.statements ADD COLUMN runner text;
            CREATE UNIQUE INDEX statements_client_token ON {Name}.statements (caller, client_token) WHERE client_token IS NOT NULL;
            CREATE INDEX statements_unended ON {Name}.statements (runner) WHERE status NOT IN ('FINISHED', 'FAILED', 'ABORTED');
            """),
        // The statement saga follows only statements a remote warehouse took (RemoteStatementStarted
        // creates it). Earlier services created one for every statement; those of statements with
        // no remote id would never see their end now, and nothing else reads them.
        (6, "statement sagas for remote statements only", $"""
            DELETE FROM {Name}.saga_instances WHERE saga_type = 'statement' AND data->>'RemoteStatementId' IS NULL;
            """),
    ];
}
