using Google.Rpc;
using Grpc.Core;
using Sluice.Contracts;
using Sluice.Validation.V1;

namespace Sluice.Validation.Tests;

/// <summary>RegisterSchema, GetSchema, ListSchemas and ValidateDocument through the real gRPC interface.</summary>
public sealed class SchemaRpcTests(SharedValidationHost fixture) : IClassFixture<SharedValidationHost>
{
    private const string OrderSchema = """
        {
          "type": "object",
          "required": ["id", "items"],
          "properties": {
            "id": { "type": "string" },
            "items": {
              "type": "array",
              "items": {
                "type": "object",
                "required": ["sku", "price"],
                "properties": { "sku": { "type": "string" }, "price": { "type": "number", "minimum": 0 } }
              }
            }
          }
        }
        """;

    private ValidationService.ValidationServiceClient Client => fixture.Host.Client;

    [Fact]
    public async Task RegisterSchema_NewName_CreatesVersionOne()
    {
        var name = UniqueName("orders");

        var response = await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = OrderSchema });

        Assert.True(response.Created);
        Assert.Equal(name, response.Schema.Name);
        Assert.Equal(1, response.Schema.Version);
        Assert.Equal(OrderSchema.Length, response.Schema.SchemaLength);
        Assert.InRange(response.Schema.CreatedAt.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task RegisterSchema_SameTextAgain_ReturnsExistingVersionUnchanged()
    {
        var name = UniqueName("orders");
        await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = OrderSchema });
        await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = """{"type":"object"}""" });

        var again = await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = OrderSchema });
        var list = await Client.ListSchemasAsync(new ListSchemasRequest { Name = name });

        Assert.False(again.Created);
        Assert.Equal(1, again.Schema.Version);
        Assert.Equal([1, 2], list.Schemas.Select(s => s.Version));
    }

    [Fact]
    public async Task RegisterSchema_DifferentTextUnderTakenVersion_AlreadyExistsAndKeepsTheOriginal()
    {
        var name = UniqueName("orders");
        var first = await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = OrderSchema, Version = 7 });

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = """{"type":"string"}""", Version = 7 }));
        var stored = await Client.GetSchemaAsync(new GetSchemaRequest { Name = name, Version = 7 });

        Assert.Equal(7, first.Schema.Version);
        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Equal($"{name}/7", error.GetDetail<ResourceInfo>()!.ResourceName);
        Assert.Equal(OrderSchema, stored.SchemaJson);
    }

    [Fact]
    public async Task RegisterSchema_NextVersionAfterExplicitOne_FollowsTheHighest()
    {
        var name = UniqueName("orders");
        await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = OrderSchema, Version = 3 });

        var next = await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = """{"type":"object"}""" });

        Assert.Equal(4, next.Schema.Version);
    }

    [Fact]
    public async Task RegisterSchema_SchemaDoesNotCompile_InvalidArgumentNamingTheSchemaLocation()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.RegisterSchemaAsync(new RegisterSchemaRequest
        {
            Name = UniqueName("bad"),
            SchemaJson = """{"type":"object","properties":{"age":{"type":"integer","minimum":"zero"}}}""",
        }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("schema_json", violation.Field);
        Assert.Contains("#/properties/age/minimum", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterSchema_BadNameAndSchemaNotJson_OneViolationPerField()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = "../etc", SchemaJson = "{ not json", Version = -1 }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field).Order(StringComparer.Ordinal);
        Assert.Equal(["name", "schema_json", "version"], fields);
    }

    [Fact]
    public async Task RegisterSchema_SchemaLongerThanTheLimit_InvalidArgumentStatingTheLimit()
    {
        var longSchema = "{\"description\":\"" + new string('x', 5000) + "\"}";

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = UniqueName("big"), SchemaJson = longSchema }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("schema_json", violation.Field);
        Assert.Contains("at most 4096", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSchema_ByVersionAndLatest_ReturnsThatText()
    {
        var name = UniqueName("orders");
        const string second = """{"type":"object","required":["id"]}""";
        await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = OrderSchema });
        await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = second });

        var first = await Client.GetSchemaAsync(new GetSchemaRequest { Name = name, Version = 1 });
        var latest = await Client.GetSchemaAsync(new GetSchemaRequest { Name = name });

        Assert.Equal(OrderSchema, first.SchemaJson);
        Assert.Equal(1, first.Schema.Version);
        Assert.Equal(second, latest.SchemaJson);
        Assert.Equal(2, latest.Schema.Version);
    }

    [Fact]
    public async Task GetSchema_UnknownName_NotFoundWithResourceInfo()
    {
        var name = UniqueName("missing");

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetSchemaAsync(new GetSchemaRequest { Name = name }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        var resource = error.GetDetail<ResourceInfo>()!;
        Assert.Equal("sluice.validation.v1.SchemaVersion", resource.ResourceType);
        Assert.Equal(name, resource.ResourceName);
    }

    [Fact]
    public async Task GetSchema_UnknownVersionOfKnownName_NotFound()
    {
        var name = UniqueName("orders");
        await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = OrderSchema });

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetSchemaAsync(new GetSchemaRequest { Name = name, Version = 2 }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal($"{name}/2", error.GetDetail<ResourceInfo>()!.ResourceName);
    }

    [Fact]
    public async Task ListSchemas_NameFilter_ListsOnlyThatSchemaInVersionOrder()
    {
        var name = UniqueName("listed");
        var other = UniqueName("other");
        foreach (var required in new[] { "a", "b", "c" })
        {
            await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = $$"""{"required":["{{required}}"]}""" });
        }
        await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = other, SchemaJson = OrderSchema });

        var list = await Client.ListSchemasAsync(new ListSchemasRequest { Name = name });

        Assert.All(list.Schemas, s => Assert.Equal(name, s.Name));
        Assert.Equal([1, 2, 3], list.Schemas.Select(s => s.Version));
        Assert.Equal("", list.NextPageToken);
    }

    [Fact]
    public async Task ListSchemas_PageTokenNotIssuedByTheService_InvalidArgumentOnPageToken()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ListSchemasAsync(new ListSchemasRequest { PageToken = "not a token!", PageSize = 5000 }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field).Order(StringComparer.Ordinal);
        Assert.Equal(["page_size", "page_token"], fields);
    }

    [Fact]
    public async Task ValidateDocument_InlineSchemaAndConformingDocument_Valid()
    {
        var response = await Client.ValidateDocumentAsync(new ValidateDocumentRequest
        {
            SchemaJson = OrderSchema,
            DocumentJson = """{"id":"o-1","items":[{"sku":"A","price":3.5}]}""",
        });

        Assert.True(response.Valid);
        Assert.Empty(response.Errors);
        Assert.Equal(0, response.SchemaVersion);
    }

    [Fact]
    public async Task ValidateDocument_InlineSchemaAndNonConformingDocument_ErrorsWithBothLocations()
    {
        var response = await Client.ValidateDocumentAsync(new ValidateDocumentRequest
        {
            SchemaJson = OrderSchema,
            DocumentJson = """{"id":"o-1","items":[{"sku":"A","price":-1}, {"price":2}]}""",
        });

        Assert.False(response.Valid);
        var minimum = Assert.Single(response.Errors, e => e.Keyword == "minimum");
        Assert.Equal("/items/0/price", minimum.InstanceLocation);
        Assert.Equal("#/properties/items/items/properties/price/minimum", minimum.SchemaLocation);
        Assert.NotEmpty(minimum.Message);
        var required = Assert.Single(response.Errors, e => e.Keyword == "required");
        Assert.Equal("/items/1", required.InstanceLocation);
        Assert.Contains("sku", required.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateDocument_ByNameAndVersion_ValidatesAgainstThatVersion()
    {
        var name = UniqueName("versions");
        await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = """{"required":["a"]}""" });
        await Client.RegisterSchemaAsync(new RegisterSchemaRequest { Name = name, SchemaJson = """{"required":["b"]}""" });
        const string document = """{"a":1}""";

        var againstFirst = await Client.ValidateDocumentAsync(new ValidateDocumentRequest
        {
            SchemaRef = new SchemaReference { Name = name, Version = 1 },
            DocumentJson = document,
        });
        var againstLatest = await Client.ValidateDocumentAsync(new ValidateDocumentRequest
        {
            SchemaRef = new SchemaReference { Name = name },
            DocumentJson = document,
        });

        Assert.True(againstFirst.Valid);
        Assert.Equal(1, againstFirst.SchemaVersion);
        Assert.False(againstLatest.Valid);
        Assert.Equal(2, againstLatest.SchemaVersion);
        Assert.Equal("required", Assert.Single(againstLatest.Errors).Keyword);
    }

    [Fact]
    public async Task ValidateDocument_UnknownSchemaName_NotFound()
    {
        var name = UniqueName("missing");

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.ValidateDocumentAsync(new ValidateDocumentRequest
        {
            SchemaRef = new SchemaReference { Name = name },
            DocumentJson = "{}",
        }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(name, error.GetDetail<ResourceInfo>()!.ResourceName);
    }

    [Fact]
    public async Task ValidateDocument_DocumentNotJson_InvalidArgumentOnDocumentJson()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.ValidateDocumentAsync(new ValidateDocumentRequest
        {
            SchemaJson = OrderSchema,
            DocumentJson = """{"id": "o-1", """,
        }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("document_json", violation.Field);
        Assert.StartsWith("Not valid JSON", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateDocument_DocumentLongerThanTheLimit_InvalidArgumentStatingTheLimit()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.ValidateDocumentAsync(new ValidateDocumentRequest
        {
            SchemaJson = OrderSchema,
            DocumentJson = "\"" + new string('x', 5000) + "\"",
        }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("document_json", violation.Field);
        Assert.Contains("5002 characters; at most 4096", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateDocument_NoSchemaAndBadInlineSchema_InvalidArgumentOnTheSchemaField()
    {
        var missing = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ValidateDocumentAsync(new ValidateDocumentRequest { DocumentJson = "{}" }));
        var bad = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ValidateDocumentAsync(new ValidateDocumentRequest { SchemaJson = """{"type":"strange"}""", DocumentJson = "{}" }));

        Assert.Equal(StatusCode.InvalidArgument, missing.StatusCode);
        Assert.Equal("schema", Assert.Single(missing.GetDetail<BadRequest>()!.FieldViolations).Field);
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        var violation = Assert.Single(bad.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("schema_json", violation.Field);
        Assert.Contains("#/type", violation.Description, StringComparison.Ordinal);
    }

    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}";
}
