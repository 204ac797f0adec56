using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sluice.Query.StateMachines;
using Sluice.Query.Statements;

namespace Sluice.Query.Persistence;

/// <summary>
/// The write side of the transactional outbox: the messages a stored transition announces
/// (<see cref="StatementEvents"/>) are inserted in the transaction that stores the statement, so
/// the state and its events are kept or lost together; <see cref="StatementOutboxRelay"/> publishes them.
/// </summary>
public sealed class StatementOutbox
{
    internal const string Table = StateSchema.Name + ".outbox";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    private readonly SemaphoreSlim _written = new(0, 1);

    /// <summary>
    /// Adds the messages of the transition <paramref name="record"/> is at. Each message id is
    /// fixed by the statement and the message type (a statement announces each once), so storing
    /// the same transition again adds nothing, and a republished message carries the id a
    /// consumer's inbox has already seen.
    /// </summary>
    internal async Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StatementRecord record, CancellationToken cancellationToken)
    {
        foreach (var message in StatementEvents.For(StatementEvents.Of(record)))
        {
            var type = message.GetType();
            await using var insert = new NpgsqlCommand($"""
                INSERT INTO {Table} (message_id, ordering_key, message_type, body) VALUES ($1, $2, $3, $4) ON CONFLICT (message_id) DO NOTHING
                """, connection, transaction)
            {
                Parameters =
                {
                    new() { Value = MessageId(record.Id, type) },
                    new() { Value = record.Id },
                    new() { Value = type.FullName! },
                    new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(message, type, Json) },
                },
            };
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wakes the relay after a commit that added messages.</summary>
    internal void Written()
    {
        if (_written.CurrentCount == 0)
        {
            try
            {
                _written.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another writer woke it at the same moment.
            }
        }
    }

    /// <summary>Completes when a message was written since the last wait, or after <paramref name="timeout"/>.</summary>
    internal Task WaitForWriteAsync(TimeSpan timeout, CancellationToken cancellationToken) => _written.WaitAsync(timeout, cancellationToken);

    /// <summary>A name-based UUID (RFC 9562 version 8) of the statement and message type.</summary>
    internal static Guid MessageId(string statementId, Type messageType)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"sluice-query-outbox/{statementId}/{messageType.FullName}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
