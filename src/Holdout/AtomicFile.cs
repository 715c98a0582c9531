namespace Holdout;

/// <summary>
/// Writes files so that a reader never sees a half-written one: the content goes to a temporary file in the same
/// folder, which is flushed and then renamed over the target. A crash leaves either the old file or the new one.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="bytes"/>, creating folders as needed.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy));
    }

    /// <summary>Atomically replaces <paramref name="path"/> with UTF-8 <paramref name="text"/>.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Atomically replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            PausePoint.Reach("replace", Path.GetFileName(full));
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>
    /// Deletes the temporary files that process <paramref name="processId"/> left in <paramref name="folder"/> when it
    /// was killed inside a write (their names carry its id). Call it only when that process is known to be gone.
    /// </summary>
    public static void RemoveLeftovers(string folder, int processId)
    {
        if (processId <= 0 || !Directory.Exists(folder)) return;
        foreach (var file in Directory.EnumerateFiles(folder, $".*.{processId}.*.tmp")) File.Delete(file);
    }
}
