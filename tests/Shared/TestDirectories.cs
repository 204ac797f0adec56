namespace Sluice.Tests.Shared;

/// <summary>A temporary data directory and object-store root for one hosted service; deleted on dispose.</summary>
public sealed class TestDirectories : IDisposable
{
    public TestDirectories()
    {
        Root = Path.Combine(Path.GetTempPath(), "sluice-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Data => Path.Combine(Root, "data");

    public string Objects => Path.Combine(Root, "objects");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a finishing host; left for the OS to clean up with the rest of the temp folder.
        }
    }
}
