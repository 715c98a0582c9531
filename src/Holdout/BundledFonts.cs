using System.Reflection;

namespace Holdout;

/// <summary>
/// The DejaVu Sans font files embedded in the library (regular and bold; Bitstream Vera licence, see Fonts/LICENSE),
/// for everything Holdout draws text with: batch previews (Imaging) and charts (Reporting).
/// </summary>
internal static class BundledFonts
{
    /// <summary>The regular face's file name.</summary>
    public const string Regular = "DejaVuSans.ttf";

    /// <summary>The bold face's file name.</summary>
    public const string Bold = "DejaVuSans-Bold.ttf";

    /// <summary>Opens an embedded font file (<see cref="Regular"/> or <see cref="Bold"/>).</summary>
    /// <exception cref="InvalidOperationException">The resource is missing from the assembly (a broken build).</exception>
    public static Stream Open(string file) =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream($"Holdout.Fonts.{file}")
        ?? throw new InvalidOperationException($"The font resource {file} is missing from the Holdout assembly.");
}
