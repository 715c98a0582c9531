using Holdout.Native;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout env</c>: what this machine runs Holdout with.</summary>
internal sealed class EnvCommand : Command<EnvCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var info = EngineInfo.Describe();
        var table = new Table().Border(TableBorder.Rounded).AddColumn("item").AddColumn("value");
        table.AddRow("Holdout", info.HoldoutVersion);
        table.AddRow(".NET runtime", info.DotNetRuntime);
        table.AddRow("OS", Markup.Escape(info.OperatingSystem));
        table.AddRow("TorchSharp", info.TorchSharpVersion);
        table.AddRow("libtorch", info.LibTorchVersion);
        table.AddRow("threads", info.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("processor", Markup.Escape(info.Processor));
        table.AddRow("CUDA", info.CudaAvailable ? "available" : "not available (CPU)");
        table.AddRow("native libraries", Markup.Escape(info.Native.NativeDirectory ?? "(not found)"));
        table.AddRow("compatibility loader", info.Native.CompatibilityLoaderUsed
            ? Markup.Escape($"used: weakened {string.Join(", ", info.Native.WeakenedVersions)}; copy at {info.Native.PatchedLibraryPath}")
            : "not needed");
        table.AddRow("tensor memory", info.Native.HeapReuse
            ? "heap reuse (glibc keeps freed buffers; HOLDOUT_MALLOC=system turns it off)"
            : "system allocator defaults");
        foreach (var model in Holdout.Models.PretrainedCatalog.Available())
        {
            table.AddRow("pretrained (offline)", Markup.Escape($"{model.Name}: {model.Description} [{model.Path}]"));
        }
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var cache = Path.Combine(Holdout.Models.PrecisionChoices.DefaultFolder, "precision.json");
        var choices = Holdout.Models.PrecisionChoices.Cached(Holdout.Models.PrecisionChoices.DefaultFolder);
        if (choices.Count == 0) table.AddRow("precision auto", Markup.Escape($"nothing measured yet on this machine (decisions are kept in {cache})"));
        foreach (var c in choices)
        {
            table.AddRow("precision auto", Markup.Escape(string.Create(inv,
                $"{c.Precision} for {c.Workload}: {c.Architecture}, batch {c.BatchSize}, {c.ImageSize} px: a step took {c.Bf16Seconds:0.000} s in bf16, {c.Fp32Seconds:0.000} s in fp32 " +
                $"({c.Processor}, {c.Threads} threads, libtorch {c.Libtorch}; {c.MeasuredAt:yyyy-MM-dd HH:mm})")));
        }
        AnsiConsole.Write(table);
        return 0;
    }
}
