namespace Sluice.Ingestion.Streams;

internal sealed class StreamNotFoundException(string name) : Exception($"Stream '{name}' does not exist.")
{
    public string Name { get; } = name;
}

internal sealed class StreamExistsException(string name, string what) : Exception($"A {what} named '{name}' already exists; streams and sources share names (they name the raw-zone folder).")
{
    public string Name { get; } = name;
}
