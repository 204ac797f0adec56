using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice.ObjectStore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the object store chosen by configuration.</summary>
public static class ObjectStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ObjectStoreOptions"/> bound from <paramref name="section"/> (validated when
    /// the host starts: a bad configuration throws <see cref="OptionsValidationException"/> naming
    /// each wrong setting) and a singleton <see cref="IObjectStore"/> of the configured provider.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section holding the options, usually <c>configuration.GetSection(ObjectStoreOptions.SectionName)</c>.</param>
    public static IServiceCollection AddSluiceObjectStore(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);

        services.AddOptions<ObjectStoreOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ObjectStoreOptions>, ObjectStoreOptionsValidator>());
        services.TryAddSingleton(provider => ObjectStoreFactory.Create(provider.GetRequiredService<IOptions<ObjectStoreOptions>>().Value));
        return services;
    }

    /// <summary>
    /// Registers the object store from the host's configuration section
    /// <see cref="ObjectStoreOptions.SectionName"/> (<c>Sluice:ObjectStore</c>); see
    /// <see cref="AddSluiceObjectStore(IServiceCollection, IConfiguration)"/>, with a health check
    /// tagged <see cref="ObjectStoreHealthCheck.Tag"/>.
    /// </summary>
    public static IHostApplicationBuilder AddSluiceObjectStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSluiceObjectStore(builder.Configuration.GetSection(ObjectStoreOptions.SectionName));
        builder.Services.AddHealthChecks().AddCheck<ObjectStoreHealthCheck>("object-store", tags: [ObjectStoreHealthCheck.Tag]);
        return builder;
    }
}
