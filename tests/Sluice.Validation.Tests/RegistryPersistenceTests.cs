using Grpc.Health.V1;
using Sluice.Validation.V1;

namespace Sluice.Validation.Tests;

/// <summary>The registry across a restart, listing a whole store page by page, and the health service; each test on a service of its own.</summary>
public sealed class RegistryPersistenceTests
{
    [Fact]
    public async Task Registry_ServiceRestartedOnTheSameDataDirectory_KeepsSchemasAndRulesets()
    {
        using var directories = new TestDirectories();
        await using (var first = await ValidationHost.StartAsync(directories))
        {
            await first.Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = "orders", SchemaJson = """{"required":["id"]}""" });
            await first.Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = "orders", SchemaJson = """{"required":["id","total"]}""" });
            await first.Client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = "orders", RulesetText = "Rules = [ RowCount > 0 ]" });
        }

        await using var second = await ValidationHost.StartAsync(directories);
        var latest = await second.Client.GetSchemaAsync(new GetSchemaRequest { Name = "orders" });
        var byVersion = await second.Client.ValidateDocumentAsync(new ValidateDocumentRequest
        {
            SchemaRef = new SchemaReference { Name = "orders", Version = 1 },
            DocumentJson = """{"id":1}""",
        });
        var ruleset = await second.Client.GetRulesetAsync(new GetRulesetRequest { Source = "orders" });
        var next = await second.Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = "orders", SchemaJson = "{}" });

        Assert.Equal(2, latest.Schema.Version);
        Assert.Equal("""{"required":["id","total"]}""", latest.SchemaJson);
        Assert.True(byVersion.Valid);
        Assert.Equal("Rules = [ RowCount > 0 ]", ruleset.Ruleset.RulesetText);
        Assert.Equal(1, ruleset.Ruleset.Version);
        Assert.Equal(3, next.Schema.Version);
    }

    [Fact]
    public async Task ListSchemas_PageSizeTwo_PagesThroughEveryVersionByNameThenVersion()
    {
        using var directories = new TestDirectories();
        await using var host = await ValidationHost.StartAsync(directories);
        var registered = new[] { ("payments", 1), ("customers", 1), ("payments", 2), ("addresses", 1), ("customers", 2) };
        foreach (var (name, version) in registered)
        {
            await host.Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = $$"""{"title":"{{name}} v{{version}}"}""" });
        }

        var listed = new List<(string, int)>();
        var pages = 0;
        var token = "";
        do
        {
            var page = await host.Client.ListSchemasAsync(new ListSchemasRequest { PageSize = 2, PageToken = token });
            listed.AddRange(page.Schemas.Select(s => (s.Name, s.Version)));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0 && pages < 10);

        Assert.Equal([("addresses", 1), ("customers", 1), ("customers", 2), ("payments", 1), ("payments", 2)], listed);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task HealthCheck_ValidationServiceName_Serving()
    {
        using var directories = new TestDirectories();
        await using var host = await ValidationHost.StartAsync(directories);
        var health = new Health.HealthClient(host.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest { Service = ValidationService.Descriptor.FullName });

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }
}
