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
        AnsiConsole.Write(table);
        return 0;
    }
}
