using Holdout.Training;

namespace Holdout.Runs;

/// <summary>A run's log: every line goes to <c>train.log</c> (flushed as written) and to the caller's sink.</summary>
internal sealed class RunLog : IDisposable
{
    private readonly StreamWriter _file;
    private readonly Action<string>? _sink;
    private readonly Lock _gate = new();

    public RunLog(string path, Action<string>? sink)
    {
        _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        _sink = sink;
    }

    /// <summary>Writes a line to the file and the sink.</summary>
    public void Line(string line)
    {
        FileOnly(line);
        _sink?.Invoke(line);
    }

    /// <summary>Writes a line to the file only (the console shows it its own way).</summary>
    public void FileOnly(string line)
    {
        lock (_gate) _file.WriteLine(line);
    }

    public void Dispose() => _file.Dispose();
}
