using System.Globalization;

namespace Holdout.Bench;

/// <summary>
/// The peers the bench compares against, all in the repository under <c>bench/peers/</c>: the PyTorch peer
/// (<c>pytorch_peer.py</c>, run by Debian's <c>/usr/bin/python3</c> with python3-torch 1.13) and the ML.NET peer
/// (<c>mlnet-peer/</c>, built on demand into a temporary folder; it is not part of Holdout.sln).
/// </summary>
internal static class Peers
{
    /// <summary>The Debian packages the PyTorch peer needs.</summary>
    public const string PythonPackages = "python3-torch python3-torchvision python3-onnx python3-pil python3-numpy";

    /// <summary><c>bench/peers</c> of this clone.</summary>
    public static string Folder => Path.Combine(Repository.Root, "bench", "peers");

    /// <summary>The PyTorch peer script.</summary>
    public static string PyTorchScript => Path.Combine(Folder, "pytorch_peer.py");

    /// <summary>The interpreter for the Python peers: <c>--python</c>, else Debian's <c>/usr/bin/python3</c> (a pyenv python on PATH usually lacks torch).</summary>
    public static string Python(string[] args) => Options.Get(args, "--python") ?? "/usr/bin/python3";

    /// <summary>Checks that <paramref name="python"/> imports what the PyTorch peer needs; says which Debian packages to install when not.</summary>
    /// <exception cref="BenchException">It does not.</exception>
    public static void RequirePyTorch(string python)
    {
        if (!File.Exists(python))
            throw new BenchException($"The PyTorch peer needs {python}, which is missing. Install Debian's packages: " +
                                     $"sudo apt-get install -y {PythonPackages} (or pass --python PATH, or --no-peer to measure Holdout alone).");
        var (result, code) = PeerProcess.RunWithCode("python", python,
            ["-c", "import torch, torchvision, onnx, PIL, numpy; print(torch.__version__, torchvision.__version__)"],
            TimeSpan.FromMinutes(3), allowFailure: true);
        if (code != 0)
        {
            var reason = result.Stderr.TrimEnd().Split('\n').LastOrDefault() ?? "";
            throw new BenchException($"The PyTorch peer cannot run: {python} says \"{reason.Trim()}\". Install Debian's packages: " +
                                     $"sudo apt-get install -y {PythonPackages} (or pass --python PATH to a python with torch 1.13 / torchvision 0.14, " +
                                     "or --no-peer to measure Holdout alone).");
        }
        Console.WriteLine($"PyTorch peer: {python}, torch/torchvision {result.Stdout.Trim()}, bench/peers/pytorch_peer.py");
    }

    /// <summary>Runs the PyTorch peer with <paramref name="arguments"/>, its progress echoed.</summary>
    public static PeerProcess.Result RunPyTorch(string python, params string[] arguments) =>
        PeerProcess.Run("the PyTorch peer", python, [PyTorchScript, .. arguments], TimeSpan.FromMinutes(60), echo: true,
            environment: new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1" },
            echoStdout: line => line.StartsWith("{\"", StringComparison.Ordinal)); // its per-epoch / per-pass records, not the final summary


    /// <summary>
    /// The ML.NET peer's executable: <c>--mlnet-peer EXE</c>, else <c>bench/peers/mlnet-peer</c> built here on demand
    /// (<c>dotnet build -c Release --artifacts-path &lt;tmp&gt;/holdout-bench/mlnet-peer</c>; NuGet restores its packages
    /// into the local cache the first time).
    /// </summary>
    public static string MlnetPeer(string[] args)
    {
        if (Options.Get(args, "--mlnet-peer") is { } given)
        {
            if (!File.Exists(given)) throw new BenchException($"--mlnet-peer {given}: no such file");
            return given;
        }
        var artifacts = Path.Combine(Path.GetTempPath(), "holdout-bench", "mlnet-peer");
        var project = Path.Combine(Folder, "mlnet-peer", "mlnet-peer.csproj");
        Console.WriteLine($"Building the ML.NET peer: dotnet build {Path.GetRelativePath(Repository.Root, project)} -c Release --artifacts-path {artifacts}");
        PeerProcess.Run("dotnet build of the ML.NET peer", "dotnet",
            ["build", project, "-c", "Release", "-nologo", "-v", "q", "--artifacts-path", artifacts], TimeSpan.FromMinutes(15));
        var exe = Path.Combine(artifacts, "bin", "mlnet-peer", "release", OperatingSystem.IsWindows() ? "mlnet-peer.exe" : "mlnet-peer");
        if (!File.Exists(exe)) throw new BenchException($"the ML.NET peer built, but {exe} is missing");
        return exe;
    }

    /// <summary>The Holdout CLI's dll: <c>--cli DLL</c>, else <c>src/Holdout.Cli</c> built in Release here (a no-op when it is up to date).</summary>
    public static string HoldoutCli(string[] args)
    {
        if (Options.Get(args, "--cli") is { } given) return given;
        var project = Path.Combine(Repository.Root, "src", "Holdout.Cli", "Holdout.Cli.csproj");
        Console.WriteLine("Building the Holdout CLI: dotnet build src/Holdout.Cli -c Release");
        PeerProcess.Run("dotnet build of the Holdout CLI", "dotnet", ["build", project, "-c", "Release", "-nologo", "-v", "q"], TimeSpan.FromMinutes(15));
        var dll = Path.Combine(Repository.Root, "src", "Holdout.Cli", "bin", "Release", "net10.0", "Holdout.Cli.dll");
        if (!File.Exists(dll)) throw new BenchException($"the Holdout CLI built, but {dll} is missing");
        return dll;
    }
}

/// <summary>The clone the bench runs from.</summary>
internal static class Repository
{
    /// <summary>The repository root: the folder holding <c>.git</c> (or <c>bench/peers</c>) above the binaries or the current folder.</summary>
    public static string Root { get; } = Locate();

    private static string Locate()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (Directory.Exists(Path.Combine(folder.FullName, "bench", "peers")) && File.Exists(Path.Combine(folder.FullName, "Holdout.sln")))
                    return folder.FullName;
            }
        }
        throw new BenchException("the repository (a folder holding Holdout.sln and bench/peers) was not found above the bench's binaries or the current folder");
    }
}

/// <summary>Command-line options: <c>--name value</c> pairs and flags.</summary>
internal static class Options
{
    public static string? Get(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int Int(string[] args, string name, int fallback) =>
        Get(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public static bool Flag(string[] args, string name) => args.Contains(name);

    /// <summary>The image folder a probe reads: its first argument, else the committed sample <c>samples/beans</c>.</summary>
    /// <exception cref="BenchException">The folder given does not exist.</exception>
    public static string Folder(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal)) return Path.Combine(Repository.Root, "samples", "beans");
        if (!Directory.Exists(args[0])) throw new BenchException($"{args[0]}: no such folder (give a folder of images, or none for the committed sample samples/beans)");
        return args[0];
    }
}
