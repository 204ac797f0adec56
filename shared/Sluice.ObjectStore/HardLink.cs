using System.Runtime.InteropServices;

namespace Sluice.ObjectStore;

/// <summary>Another name for an existing file (POSIX <c>link</c>), so that a file can become an object without copying its bytes.</summary>
internal static class HardLink
{
    /// <summary>
    /// Creates <paramref name="newPath"/> as a second name of the file at <paramref name="existingPath"/>.
    /// Returns false wherever that cannot be done (Windows, the two paths on different file systems,
    /// a file system without hard links, a missing file): the caller then copies, which reports a
    /// real problem such as a missing file in its own terms.
    /// </summary>
    public static bool TryCreate(string existingPath, string newPath) =>
        !OperatingSystem.IsWindows() && link(existingPath, newPath) == 0;

    // Strings are marshalled as UTF-8 on Unix, which is what the file system APIs of .NET use there.
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code enabled for this one call.
    [DllImport("libc", SetLastError = true)]
    private static extern int link(string oldpath, string newpath);
#pragma warning restore SYSLIB1054
}
