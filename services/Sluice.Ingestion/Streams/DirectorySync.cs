using System.Runtime.InteropServices;

namespace Sluice.Ingestion.Streams;

/// <summary>
/// Makes a directory's entries durable. A file's fsync covers its data, not the entry naming it in
/// its directory: after a power cut a new segment could be missing although its records were
/// acknowledged. POSIX asks for an fsync of the directory too (fsync(2): "an explicit fsync() on a
/// file descriptor for the directory is also needed"); .NET has no call for it, so libc's is used.
/// NTFS journals directory changes, so Windows needs nothing.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY on Linux and macOS.

    /// <summary>Syncs <paramref name="directory"/>; an <see cref="IOException"/> names it and the errno when that fails.</summary>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var descriptor = Open(directory, ReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"The directory {directory} could not be opened to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }
        try
        {
            if (Fsync(descriptor) != 0)
            {
                throw new IOException($"The directory {directory} could not be synced to disk (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    /// <summary>Creates <paramref name="directory"/> and any missing parents, syncing the parent of each one created so the new entries survive a crash.</summary>
    public static void CreateDurably(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (Directory.Exists(full))
        {
            return;
        }
        if (Path.GetDirectoryName(full) is { } parent)
        {
            CreateDurably(parent);
            Directory.CreateDirectory(full);
            Flush(parent);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int descriptor);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int descriptor);
}
