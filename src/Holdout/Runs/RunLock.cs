using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Holdout.Runs;

/// <summary>
/// One writer per run folder: <c>run.lock</c> names the holdout process that is training into the folder (pid, host,
/// when that process started, its command line), and an operating-system lock on it, held for the life of the
/// process, makes a second <c>holdout train --out</c> or <c>--resume</c> of the same folder fail with that name
/// instead of interleaving checkpoints. The OS drops the lock however the process ends, so a file left by a killed
/// process is recognised as stale and taken over.
/// </summary>
/// <remarks>
/// Acquiring opens the file exclusively (on Linux and macOS .NET implements <see cref="FileShare.None"/> with
/// <c>flock(LOCK_EX)</c>; on Windows it is a share mode), which fails while any live process holds it. Holding it
/// exclusively would keep others from reading who holds it, so after writing its own details the holder reopens it
/// shared (<c>flock(LOCK_SH)</c>, still excluding exclusive opens) and keeps that open. In the instant between the
/// two, another process can get the exclusive open; it then sees a holder that is still alive on this host and
/// refuses too, which is also what protects folders where file locks are not enforced. On release the file is emptied:
/// an empty <c>run.lock</c> is a folder nobody holds.
/// </remarks>
internal sealed class RunLock : IDisposable
{
    /// <summary>The lock file's name inside the run folder.</summary>
    public const string FileName = "run.lock";

    private readonly FileStream _stream;

    private RunLock(FileStream stream, string? takeoverNote)
    {
        _stream = stream;
        TakeoverNote = takeoverNote;
    }

    /// <summary>A line for the run's log when the folder was taken over from a process that died holding it; otherwise null.</summary>
    public string? TakeoverNote { get; }

    /// <summary>Takes the run folder (created if needed) for this process until disposed.</summary>
    /// <param name="folder">The run folder.</param>
    /// <exception cref="HoldoutException">Another live process holds the folder.</exception>
    public static RunLock Acquire(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        var me = Holder.Current();
        Holder? previous;
        FileStream exclusive;
        try
        {
            exclusive = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsHeldElsewhere(e))
        {
            throw InUse(folder, ReadHolder(path));
        }
        using (exclusive)
        {
            previous = Holder.Parse(ReadAll(exclusive));
            if (previous is not null && previous.IsAliveHere()) throw InUse(folder, previous);
            exclusive.SetLength(0);
            exclusive.Write(Encoding.UTF8.GetBytes(me.ToJson()));
            exclusive.Flush(flushToDisk: true);
        }
        var shared = OpenShared(path, folder);
        var holder = Holder.Parse(ReadAll(shared));
        if (holder?.Token != me.Token)
        {
            shared.Dispose();
            throw InUse(folder, holder);
        }
        if (previous is null) return new RunLock(shared, null);
        AtomicFile.RemoveLeftovers(folder, previous.Pid);
        return new RunLock(shared, $"{path} was left by holdout process {previous.Describe()}, which is no longer running; taking the run folder over.");
    }

    /// <summary>Empties <c>run.lock</c> (nobody holds the folder) and releases it.</summary>
    public void Dispose()
    {
        try
        {
            _stream.SetLength(0);
            _stream.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            // The lock is released below all the same; the next run sees a holder that is not running.
        }
        _stream.Dispose();
    }

    /// <summary>
    /// Reopens the file shared. Retries for a few seconds: another process may be inside its exclusive check this
    /// very moment (it finds this process alive and lets go).
    /// </summary>
    private static FileStream OpenShared(string path, string folder)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            }
            catch (IOException e) when (IsHeldElsewhere(e) && deadline.Elapsed < TimeSpan.FromSeconds(5))
            {
                Thread.Sleep(20);
            }
            catch (IOException e) when (IsHeldElsewhere(e))
            {
                throw InUse(folder, ReadHolder(path));
            }
        }
    }

    /// <summary>The holder's details, or null when they cannot be read (it is between its exclusive and shared opens).</summary>
    private static Holder? ReadHolder(string path)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                if (Holder.Parse(ReadAll(stream)) is { } holder) return holder;
            }
            catch (IOException e) when (IsHeldElsewhere(e))
            {
            }
            catch (FileNotFoundException)
            {
                return null;
            }
            Thread.Sleep(20);
        }
        return null;
    }

    private static string ReadAll(FileStream stream)
    {
        stream.Position = 0;
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        return reader.ReadToEnd();
    }

    /// <summary>The error of opening a file another process has locked: EWOULDBLOCK from flock, or a Windows sharing or lock violation.</summary>
    private static bool IsHeldElsewhere(IOException e) => e.HResult is 11 or 35 || (e.HResult & 0xFFFF) is 32 or 33;

    private static HoldoutException InUse(string folder, Holder? holder) => new(
        $"The run folder '{folder}' is in use by holdout process {holder?.Describe() ?? "(its details could not be read)"}: only one process may train into a run folder. " +
        $"Wait for it to finish, or stop it (Ctrl-C keeps its last epoch) and continue with: holdout train --resume {folder}. To train a separate run, choose another --out.");

    /// <summary>Who holds a run folder: what <c>run.lock</c> contains.</summary>
    private sealed record Holder(int Pid, string Host, DateTimeOffset ProcessStarted, DateTimeOffset Since, string Command, string Token)
    {
        public static Holder Current()
        {
            using var process = Process.GetCurrentProcess();
            return new Holder(Environment.ProcessId, Environment.MachineName, new DateTimeOffset(process.StartTime), DateTimeOffset.Now,
                string.Join(' ', Environment.GetCommandLineArgs()), Guid.NewGuid().ToString("N"));
        }

        public static Holder? Parse(string text)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            try
            {
                var json = JsonNode.Parse(text)!.AsObject();
                return new Holder(json["pid"]!.GetValue<int>(), json["host"]!.GetValue<string>(),
                    DateTimeOffset.Parse(json["process_started"]!.GetValue<string>(), CultureInfo.InvariantCulture),
                    DateTimeOffset.Parse(json["since"]!.GetValue<string>(), CultureInfo.InvariantCulture),
                    json["command"]?.GetValue<string>() ?? "", json["token"]?.GetValue<string>() ?? "");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException)
            {
                // Unreadable: written by a process killed mid-write. Nobody holds the file, so it is stale.
                return new Holder(0, "unknown", default, default, "", "");
            }
        }

        public string ToJson() => StrictJson.Write(new JsonObject
        {
            ["pid"] = Pid,
            ["host"] = Host,
            ["process_started"] = ProcessStarted.ToString("O", CultureInfo.InvariantCulture),
            ["since"] = Since.ToString("O", CultureInfo.InvariantCulture),
            ["command"] = Command,
            ["token"] = Token,
        }, StrictJson.Indented);

        /// <summary>Whether this process is running on this host (the same pid started at the same time).</summary>
        public bool IsAliveHere()
        {
            if (Pid <= 0 || !string.Equals(Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return false;
            try
            {
                using var process = Process.GetProcessById(Pid);
                return !process.HasExited && (new DateTimeOffset(process.StartTime) - ProcessStarted).Duration() < TimeSpan.FromSeconds(2);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                return false;
            }
        }

        public string Describe() =>
            Pid <= 0
                ? "(unknown: its run.lock is unreadable)"
                : string.Create(CultureInfo.InvariantCulture, $"{Pid} on {Host} (holding it since {Since:yyyy-MM-dd HH:mm:ss}; command: {Command})");
    }
}
