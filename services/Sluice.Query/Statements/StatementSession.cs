using System.Data.Common;

namespace Sluice.Query.Statements;

/// <summary>
/// A Data API session: one warehouse connection kept between statements, so temporary tables,
/// SET values and open transactions survive from one statement to the next. Its statements run
/// one at a time, in the order they were admitted. On a remote engine the session is the remote
/// service's, and this one only remembers its id there.
/// </summary>
internal sealed class StatementSession(string id, string caller, string database, StatementLocation? location, TimeSpan keepAlive, DateTimeOffset createdAt)
{
    public string Id { get; } = id;

    /// <summary>Only the caller that opened the session may use it.</summary>
    public string Caller { get; } = caller;

    public string Database { get; } = database;

    public StatementLocation? Location { get; } = location;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    // The members below change under the registry's lock.

    /// <summary>How long the session stays open after its last statement ends.</summary>
    public TimeSpan KeepAlive { get; set; } = keepAlive;

    /// <summary>The statement admitted last; the session is busy while it has not ended.</summary>
    public Statement? Current { get; set; }

    /// <summary>Fires when the keep-alive has run out; disarmed while a statement runs.</summary>
    public ITimer? Expiry { get; set; }

    public bool IsClosed { get; set; }

    /// <summary>
    /// Held by the statement that uses the connection. A statement ends (and the next may be
    /// admitted) a moment before its run lets go of the connection, notably when cancelled: the
    /// next one waits here, so two statements never share the connection at once.
    /// </summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    // The members below change only while holding Gate.

    /// <summary>The held connection on engines Sluice connects to; opened by the first statement.</summary>
    public DbConnection? Connection { get; set; }

    /// <summary>The remote service's id of this session, once its first statement was accepted there.</summary>
    public string? RemoteSessionId { get; set; }
}
