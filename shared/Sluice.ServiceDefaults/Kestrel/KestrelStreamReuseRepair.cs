using System.Linq.Expressions;
using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace Sluice.ServiceDefaults.Kestrel;

/// <summary>
/// Works around a Kestrel HTTP/2 defect that loses a whole response (dotnet/aspnetcore#53736,
/// open; seen here on ASP.NET Core 10.0.12). Kestrel pools its per-stream output producers. When a
/// producer gets scheduled just as its response completes (a window update racing the end of a
/// flow-controlled response is one way), the frame writer later dequeues it, sees the response
/// completed and skips it without clearing its "scheduled" flag; resetting the producer for the
/// next stream does not clear it either. Every later Schedule() then returns early, so the next
/// request served on that producer never gets a single frame: the client waits for headers
/// until its deadline although the handler finished.
/// </summary>
/// <remarks>
/// Nothing of a new stream is scheduled before its application code runs, so a producer that is
/// already marked scheduled when a call starts carries a stale mark; clearing it (under the
/// producer's own lock, as Kestrel does) lets the call's writes be scheduled. If the stale entry
/// is in fact still queued, the frame writer just visits the producer once more with nothing to
/// write. The Kestrel internals are found once by reflection; when they are not there (another
/// Kestrel version), the repair turns itself off and calls proceed untouched.
/// Found by probing the query benchmark, which lost a GetStatementResult response in about one run
/// in six: the lost call had started on a producer already marked scheduled, and none of the tens
/// of thousands of answered calls had.
/// </remarks>
internal static class KestrelStreamReuseRepair
{
    private static volatile ProducerAccess? s_access;
    private static volatile bool s_unavailable;

    /// <summary>Clears a stale scheduled mark on the stream's output producer; true when one was found.</summary>
    public static bool Repair(HttpContext http)
    {
        if (s_unavailable || !HttpProtocol.IsHttp2(http.Request.Protocol))
        {
            return false;
        }
        var features = http.Features;
        if (GetAccess(features) is not { } access || access.Producer(features) is not { } producer)
        {
            return false;
        }
        lock (access.Lock(producer))
        {
            if (!access.IsScheduled(producer))
            {
                return false;
            }
            access.SetScheduled(producer, false);
            return true;
        }
    }

    /// <summary>Test hook: marks a producer scheduled, as the lost race leaves it.</summary>
    internal static void MarkScheduled(object producer) => SetScheduled(producer, true);

    /// <summary>Test hook: whether a producer is marked scheduled.</summary>
    internal static bool IsMarkedScheduled(object producer)
    {
        var access = s_access ?? throw new InvalidOperationException("No producer has been seen yet.");
        lock (access.Lock(producer))
        {
            return access.IsScheduled(producer);
        }
    }

    private static void SetScheduled(object producer, bool scheduled)
    {
        var access = s_access ?? throw new InvalidOperationException("No producer has been seen yet.");
        lock (access.Lock(producer))
        {
            access.SetScheduled(producer, scheduled);
        }
    }

    /// <summary>Test hook: the stream's output producer (pooled streams share it across requests).</summary>
    internal static object? ProducerOf(HttpContext http) =>
        GetAccess(http.Features) is { } access ? access.Producer(http.Features) : null;

    private static ProducerAccess? GetAccess(object features)
    {
        var access = s_access;
        if (access is not null && access.FeaturesType == features.GetType())
        {
            return access;
        }
        if (s_unavailable)
        {
            return null;
        }
        try
        {
            access = ProducerAccess.Create(features.GetType());
        }
        catch (Exception exception) when (exception is InvalidOperationException or NotSupportedException or ArgumentException or MemberAccessException)
        {
            // No dynamic code (AOT), or a member shape the accessors cannot be built for.
            access = null;
        }
        if (access is null)
        {
            s_unavailable = true;
            return null;
        }
        s_access = access;
        return access;
    }

    private sealed class ProducerAccess
    {
        private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic;

        private ProducerAccess(Type featuresType, Func<object, object?> producer, Func<object, Lock> @lock, Func<object, bool> isScheduled, Action<object, bool> setScheduled)
        {
            FeaturesType = featuresType;
            Producer = producer;
            Lock = @lock;
            IsScheduled = isScheduled;
            SetScheduled = setScheduled;
        }

        public Type FeaturesType { get; }

        public Func<object, object?> Producer { get; }

        public Func<object, Lock> Lock { get; }

        public Func<object, bool> IsScheduled { get; }

        public Action<object, bool> SetScheduled { get; }

        /// <summary>Kestrel's Http2Stream._http2Output, Http2OutputProducer._isScheduled and its _dataWriterLock.</summary>
        public static ProducerAccess? Create(Type featuresType)
        {
            FieldInfo? outputField = null;
            for (var type = featuresType; type is not null && outputField is null; type = type.BaseType)
            {
                outputField = type.GetFields(Instance | BindingFlags.DeclaredOnly).FirstOrDefault(f => f.FieldType.Name == "Http2OutputProducer");
            }
            var producerType = outputField?.FieldType;
            var scheduledField = producerType?.GetField("_isScheduled", Instance);
            var lockField = producerType?.GetField("_dataWriterLock", Instance);
            if (outputField is null || scheduledField?.FieldType != typeof(bool) || lockField?.FieldType != typeof(Lock))
            {
                return null;
            }
            // Compiled accessors: a call pays a few nanoseconds, not a reflection lookup.
            var target = Expression.Parameter(typeof(object), "target");
            var value = Expression.Parameter(typeof(bool), "value");
            var producer = Expression.Convert(target, producerType!);
            return new ProducerAccess(
                featuresType,
                Expression.Lambda<Func<object, object?>>(Expression.Field(Expression.Convert(target, outputField.DeclaringType!), outputField), target).Compile(),
                Expression.Lambda<Func<object, Lock>>(Expression.Field(producer, lockField), target).Compile(),
                Expression.Lambda<Func<object, bool>>(Expression.Field(producer, scheduledField), target).Compile(),
                Expression.Lambda<Action<object, bool>>(Expression.Assign(Expression.Field(producer, scheduledField), value), target, value).Compile());
        }
    }
}
