using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sluice.ObjectStore.Tests;

/// <summary>Options binding, validation at start-up and the DI registration, without a server.</summary>
public sealed class ObjectStoreConfigurationTests : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "sluice-object-store-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_scratch))
        {
            Directory.Delete(_scratch, recursive: true);
        }
    }

    [Fact]
    public void AddSluiceObjectStore_EmptySection_DefaultsToLocalStoreUnderDataObjects()
    {
        using ServiceProvider services = BuildServices(new Dictionary<string, string?>());

        ObjectStoreOptions options = services.GetRequiredService<IOptions<ObjectStoreOptions>>().Value;

        Assert.Equal(ObjectStoreProviders.Local, options.Provider);
        Assert.Equal("data/objects", options.LocalRoot);
        Assert.Equal(1000, options.S3.ListPageSize);
        Assert.Equal(8 * 1024 * 1024, options.S3.PartSize);
        Assert.False(options.S3.ForcePathStyle);
    }

    [Fact]
    public async Task AddSluiceObjectStore_LocalProvider_ResolvesWorkingLocalStoreAtConfiguredRoot()
    {
        using ServiceProvider services = BuildServices(new Dictionary<string, string?>
        {
            ["Sluice:ObjectStore:Provider"] = "local",
            ["Sluice:ObjectStore:LocalRoot"] = _scratch,
        });

        IObjectStore store = services.GetRequiredService<IObjectStore>();
        await store.PutAsync("raw/a.txt", new MemoryStream("hello"u8.ToArray()));

        var local = Assert.IsType<LocalDirectoryObjectStore>(store);
        Assert.Equal(_scratch, local.RootDirectory);
        Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(_scratch, "raw", "a.txt")));
        Assert.Same(store, services.GetRequiredService<IObjectStore>());
    }

    [Fact]
    public void AddSluiceObjectStore_S3Settings_AreBoundFromEnvironmentStyleKeys()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sluice:ObjectStore:Provider"] = "S3",
                ["Sluice:ObjectStore:S3:Bucket"] = "sluice-raw",
                ["Sluice:ObjectStore:S3:Prefix"] = "tenants/acme",
                ["Sluice:ObjectStore:S3:ServiceUrl"] = "http://127.0.0.1:4566",
                ["Sluice:ObjectStore:S3:Region"] = "eu-west-1",
                ["Sluice:ObjectStore:S3:AccessKey"] = "AKIDEXAMPLE",
                ["Sluice:ObjectStore:S3:SecretKey"] = "secret",
                ["Sluice:ObjectStore:S3:ForcePathStyle"] = "true",
                ["Sluice:ObjectStore:S3:ListPageSize"] = "250",
                ["Sluice:ObjectStore:S3:PartSize"] = "16777216",
            })
            .Build();
        using ServiceProvider services = new ServiceCollection().AddSluiceObjectStore(configuration.GetSection(ObjectStoreOptions.SectionName)).BuildServiceProvider();

        S3ObjectStoreOptions s3 = services.GetRequiredService<IOptions<ObjectStoreOptions>>().Value.S3;
        var store = Assert.IsType<S3ObjectStore>(services.GetRequiredService<IObjectStore>());

        Assert.Equal(("sluice-raw", "tenants/acme", "http://127.0.0.1:4566", "eu-west-1"), (s3.Bucket, s3.Prefix, s3.ServiceUrl, s3.Region));
        Assert.Equal(("AKIDEXAMPLE", "secret", true, 250, 16 * 1024 * 1024), (s3.AccessKey, s3.SecretKey, s3.ForcePathStyle, s3.ListPageSize, s3.PartSize));
        Assert.Equal(("sluice-raw", "tenants/acme/"), (store.Bucket, store.KeyPrefix));
    }

    [Fact]
    public void AddSluiceObjectStore_SectionPassedIn_BindsThatSection()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Ingestion:RawZone:Provider"] = "Local",
                ["Ingestion:RawZone:LocalRoot"] = _scratch,
            })
            .Build();

        using ServiceProvider services = new ServiceCollection().AddSluiceObjectStore(configuration.GetSection("Ingestion:RawZone")).BuildServiceProvider();

        Assert.Equal(_scratch, Assert.IsType<LocalDirectoryObjectStore>(services.GetRequiredService<IObjectStore>()).RootDirectory);
    }

    public static TheoryData<string, string, string> InvalidConfigurations => new()
    {
        // setting, value, text the failure must contain
        { "Provider", "Azure", "ObjectStore:Provider 'Azure'" },
        { "LocalRoot", " ", "ObjectStore:LocalRoot" },
        { "S3:Bucket", "", "ObjectStore:S3:Bucket is required" },
        { "S3:Bucket", "Not_A_Bucket", "ObjectStore:S3:Bucket 'Not_A_Bucket'" },
        { "S3:Bucket", "ab", "ObjectStore:S3:Bucket 'ab'" },
        { "S3:Prefix", "tenants/../other", "ObjectStore:S3:Prefix" },
        { "S3:ServiceUrl", "ftp://127.0.0.1:21", "ObjectStore:S3:ServiceUrl" },
        { "S3:AccessKey", "AKIDEXAMPLE", "ObjectStore:S3:AccessKey and ObjectStore:S3:SecretKey" },
        { "S3:SessionToken", "token", "ObjectStore:S3:SessionToken" },
        { "S3:ListPageSize", "0", "ObjectStore:S3:ListPageSize" },
        { "S3:PartSize", "1048576", "ObjectStore:S3:PartSize" },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigurations))]
    public async Task HostStart_InvalidSetting_FailsWithOptionsValidationExceptionNamingIt(string setting, string value, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sluice:ObjectStore:Provider"] = setting.StartsWith("S3:", StringComparison.Ordinal) ? "S3" : "Local",
            ["Sluice:ObjectStore:LocalRoot"] = _scratch,
            ["Sluice:ObjectStore:S3:Bucket"] = "sluice-raw",
            [$"Sluice:ObjectStore:{setting}"] = value,
        };
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddSluiceObjectStore();
        using IHost host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, failure => failure.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task HostStart_ValidConfiguration_Starts()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Sluice:ObjectStore:LocalRoot"] = _scratch });
        builder.AddSluiceObjectStore();
        using IHost host = builder.Build();

        await host.StartAsync();

        Assert.IsType<LocalDirectoryObjectStore>(host.Services.GetRequiredService<IObjectStore>());
        await host.StopAsync();
    }

    [Fact]
    public void ObjectStoreFactory_InvalidOptions_ThrowsArgumentExceptionNamingSetting()
    {
        var options = new ObjectStoreOptions { Provider = "S3" };

        var error = Assert.Throws<ArgumentException>(() => ObjectStoreFactory.Create(options));

        Assert.Contains("ObjectStore:S3:Bucket is required", error.Message);
    }

    private static ServiceProvider BuildServices(Dictionary<string, string?> settings)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddSluiceObjectStore(configuration.GetSection(ObjectStoreOptions.SectionName)).BuildServiceProvider();
    }
}
