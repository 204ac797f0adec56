using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.ServiceDefaults.Kestrel;

/// <summary>
/// Puts <see cref="KestrelStreamReuseRepair"/> in front of everything else in every Sluice host's
/// pipeline, so it runs at the start of every request on every endpoint, before any of the
/// request's own writes could be scheduled.
/// </summary>
internal sealed class StreamReuseRepairStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Sluice.ServiceDefaults.KestrelStreamReuseRepair");
        app.Use((http, nextMiddleware) =>
        {
            if (KestrelStreamReuseRepair.Repair(http))
            {
                // Under load this happens many times a minute: counted, and logged only at Debug.
                SluiceMetrics.StreamReuseRepairs.Add(1);
                ServiceDefaultsLog.RepairedStreamReuse(logger, http.Request.Path);
            }
            return nextMiddleware(http);
        });
        next(app);
    };
}
