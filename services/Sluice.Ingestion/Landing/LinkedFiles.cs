namespace Sluice.Ingestion.Landing;

/// <summary>
/// For files that may already be landed objects: the local object store puts a spool or log file by
/// hard-linking it (<see cref="Sluice.ObjectStore.IObjectStore.PutFileAsync"/>), so such a file is
/// shared with the object and must never be written in place again.
/// </summary>
internal static class LinkedFiles
{
    private const int CopyBufferBytes = 1 << 16;

    /// <summary>
    /// Replaces the file at <paramref name="path"/> with a new file holding its first
    /// <paramref name="length"/> bytes (durable before the rename), so that writing to it afterwards
    /// leaves alone any object that shares the old one.
    /// </summary>
    public static void ReplaceWithCopyOfFirst(string path, long length)
    {
        var copyPath = path + ".reopen";
        using (var kept = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferBytes, FileOptions.SequentialScan))
        using (var copy = new FileStream(copyPath, FileMode.Create, FileAccess.Write, FileShare.None, CopyBufferBytes))
        {
            var buffer = new byte[CopyBufferBytes];
            for (var left = length; left > 0;)
            {
                var read = kept.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read == 0)
                {
                    throw new InvalidDataException($"The file {path} ended before its {length} bytes to keep.");
                }
                copy.Write(buffer, 0, read);
                left -= read;
            }
            copy.Flush(flushToDisk: true);
        }
        File.Move(copyPath, path, overwrite: true);
    }
}
