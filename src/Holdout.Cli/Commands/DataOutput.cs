using Holdout.Data;

namespace Holdout.Cli.Commands;

/// <summary>Console output shared by the data commands.</summary>
internal static class DataOutput
{
    /// <summary>Lists the files a discovery skipped, with the reason (at most 30, then a count).</summary>
    public static void WriteSkipped(IReadOnlyList<SkippedFile> skippedFiles)
    {
        if (skippedFiles.Count == 0)
        {
            return;
        }
        AnsiConsole.MarkupLine($"[yellow]Skipped {skippedFiles.Count} file(s)[/] (use --strict to make this an error):");
        foreach (var skipped in skippedFiles.Take(30))
        {
            AnsiConsole.MarkupLine($"  {Markup.Escape(skipped.Path)}: {Markup.Escape(skipped.Reason)}");
        }
        if (skippedFiles.Count > 30)
        {
            AnsiConsole.MarkupLine($"  ... and {skippedFiles.Count - 30} more");
        }
    }
}
