using Microsoft.Extensions.Options;
using Sluice.Ingestion.Jobs;
using Sluice.Ingestion.Storage;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Sources;

/// <summary>A source name that is taken.</summary>
internal sealed class SourceExistsException(string name) : Exception($"Source '{name}' already exists; use UpdateSource to change it.")
{
    public string Name { get; } = name;
}

/// <summary>Creates, replaces and deletes sources, each definition checked whole before it is stored.</summary>
internal sealed class SourceRegistry(IngestionStore store, SourceDefinitionParser parser, IOptions<IngestionOptions> options, TimeProvider time)
{
    public StoredSource Create(string name, string text, DefinitionFormat format)
    {
        var json = Check(name, text, format);
        if (!store.InsertSource(name, json, time.GetUtcNow()))
        {
            throw new SourceExistsException(name);
        }
        return store.GetSource(name)!;
    }

    public StoredSource Update(string name, string text, DefinitionFormat format)
    {
        var json = Check(name, text, format);
        if (!store.UpdateSource(name, json, time.GetUtcNow()))
        {
            throw new SourceNotFoundException(name);
        }
        return store.GetSource(name)!;
    }

    public StoredSource Get(string name) => store.GetSource(name) ?? throw new SourceNotFoundException(name);

    public void Delete(string name)
    {
        if (!store.DeleteSource(name))
        {
            throw new SourceNotFoundException(name);
        }
    }

    public SourceDefinition Definition(StoredSource source) => SourceDefinitionParser.FromStoredJson(source.DefinitionJson);

    private string Check(string name, string text, DefinitionFormat format)
    {
        var problems = new List<(string, string)>();
        if (!SourceDefinitionParser.IsValidSourceName(name))
        {
            problems.Add(("name", $"'{name}' must be 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit."));
        }
        if (text.Length > options.Value.MaxDefinitionLength)
        {
            problems.Add(("definition", $"is {text.Length} characters, more than the limit of {options.Value.MaxDefinitionLength}."));
            throw new SourceDefinitionException(problems);
        }
        SourceDefinition? definition = null;
        try
        {
            definition = parser.Parse(text, format);
        }
        catch (SourceDefinitionException exception)
        {
            problems.AddRange(exception.Problems);
        }
        if (problems.Count > 0)
        {
            throw new SourceDefinitionException(problems);
        }
        return SourceDefinitionParser.ToJson(definition!);
    }
}
