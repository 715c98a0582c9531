using System.Reflection;

namespace Holdout.Reporting;

/// <summary>
/// Makes the bundled DejaVu Sans (regular and bold) the font of every chart. ScottPlot loads fonts from files, and
/// with SkiaSharp's NoDependencies native asset it draws no text at all unless one is registered, so the embedded
/// font files are copied once to a per-user cache folder and registered with ScottPlot.
/// </summary>
internal static class ReportFonts
{
    /// <summary>The family name charts use.</summary>
    internal const string Family = "DejaVu Sans";

    private static readonly Lazy<string> Folder = new(Register, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Registers the fonts (once per process) and returns the folder the font files were written to.</summary>
    internal static string EnsureRegistered() => Folder.Value;

    private static string Register()
    {
        var version = typeof(ReportFonts).Assembly.ManifestModule.ModuleVersionId.ToString("N");
        var folder = Path.Combine(Path.GetTempPath(), $"holdout-fonts-{Environment.UserName}", version);
        var regular = Extract(folder, BundledFonts.Regular);
        var bold = Extract(folder, BundledFonts.Bold);
        ScottPlot.Fonts.AddFontFile(Family, regular, bold: false, italic: false);
        ScottPlot.Fonts.AddFontFile(Family, bold, bold: true, italic: false);
        ScottPlot.Fonts.Default = Family;
        ScottPlot.Fonts.Sans = Family;
        return folder;
    }

    private static string Extract(string folder, string file)
    {
        var path = Path.Combine(folder, file);
        using var resource = BundledFonts.Open(file);
        if (File.Exists(path) && new FileInfo(path).Length == resource.Length) return path;
        AtomicFile.Write(path, resource.CopyTo);
        return path;
    }
}
