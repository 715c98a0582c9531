using Mono.Cecil;

namespace Holdout.Tests.Design;

/// <summary>
/// The library's folders form layers, lowest first; a folder uses only its own types and those of folders below it,
/// so there are no circles and each layer can be understood without the ones above. Checked over the compiled
/// assembly's type references (signatures, attributes and method bodies), not over using directives.
/// </summary>
public sealed class LayerTests
{
    /// <summary>
    /// The order. Root: errors, atomic files, seeds, option names, bundled fonts. Native: the engine loader. Distributed: the ranks of a data-parallel job (MPI). Imaging →
    /// Data → Metrics → Models → Inference (serving a trained model: it needs the model, its input and the metrics,
    /// never the training loop or a run's machinery) → Training (the loop, callbacks, schedules, the loss) → Reporting
    /// (renders only what it is given) → Runs (run setup, recipes, run-folder files, evaluation of a run or an
    /// exported file) → Diagnostics. The CLI is its own assembly on top.
    /// </summary>
    internal static readonly string[][] Layers =
    [
        ["Holdout"],
        ["Holdout.Native"],
        ["Holdout.Distributed"],
        ["Holdout.Imaging"],
        ["Holdout.Data"],
        ["Holdout.Metrics"],
        ["Holdout.Models"],
        ["Holdout.Inference"],
        ["Holdout.Explaining"],
        ["Holdout.Training"],
        ["Holdout.Reporting"],
        ["Holdout.Runs"],
        ["Holdout.Diagnostics"],
    ];

    [Fact]
    public void Should_have_no_folder_use_a_folder_above_it_or_beside_it()
    {
        // Given the compiled library
        using var module = ModuleDefinition.ReadModule(typeof(HoldoutException).Assembly.Location);

        // When every reference from one Holdout namespace to another is checked against the layer order
        var violations = Violations(module);

        // Then none goes up or sideways
        Assert.True(violations.Count == 0, "Layer violations:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Should_keep_inference_to_models_imaging_data_and_metrics()
    {
        // Given the compiled library
        using var module = ModuleDefinition.ReadModule(typeof(HoldoutException).Assembly.Location);

        // When the folders Holdout.Inference uses are listed
        var used = module.Types.Where(t => Folder(TypeReferences.NamespaceOf(t)) == "Holdout.Inference")
            .SelectMany(t => TypeReferences.Of(t).Select(r => (Used: Folder(TypeReferences.NamespaceOf(r.Used)), r.Where)))
            .Where(r => r.Used.StartsWith("Holdout", StringComparison.Ordinal) && r.Used != "Holdout.Inference")
            .ToList();

        // Then serving a model needs nothing of training or of a run's machinery
        string[] allowed = ["Holdout", "Holdout.Native", "Holdout.Imaging", "Holdout.Data", "Holdout.Metrics", "Holdout.Models"];
        var outside = used.Where(r => !allowed.Contains(r.Used)).Select(r => $"{r.Where} uses {r.Used}").Distinct().ToList();
        Assert.True(outside.Count == 0, "Inference reaches beyond its layer:\n" + string.Join("\n", outside));
    }

    [Fact]
    public void Should_place_every_namespace_of_the_library_in_a_layer()
    {
        // Given the compiled library
        using var module = ModuleDefinition.ReadModule(typeof(HoldoutException).Assembly.Location);

        // When its namespaces are listed
        var unplaced = module.Types.Select(TypeReferences.NamespaceOf).Where(n => n.StartsWith("Holdout", StringComparison.Ordinal))
            .Select(Layer).Where(l => l < 0).ToList();

        // Then each one has a place in the order (a new folder must be given one)
        Assert.Empty(unplaced);
    }

    /// <summary>"A uses B" lines for every reference that breaks the order.</summary>
    internal static List<string> Violations(ModuleDefinition module)
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in module.Types)
        {
            var from = TypeReferences.NamespaceOf(type);
            if (!from.StartsWith("Holdout", StringComparison.Ordinal)) continue;
            int fromLayer = Layer(from);
            foreach (var (used, where) in TypeReferences.Of(type))
            {
                var to = TypeReferences.NamespaceOf(used);
                if (!to.StartsWith("Holdout", StringComparison.Ordinal) || Folder(to) == Folder(from)) continue;
                if (Layer(to) >= fromLayer)
                    violations.Add($"{where} ({Folder(from)}) uses {used.FullName} ({Folder(to)}), which is not below it");
            }
        }
        return [.. violations];
    }

    /// <summary>The top-level folder of a namespace: Holdout.Models.Onnx → Holdout.Models.</summary>
    private static string Folder(string ns) => string.Join('.', ns.Split('.').Take(2));

    private static int Layer(string ns)
    {
        var folder = Folder(ns);
        for (var i = 0; i < Layers.Length; i++)
            if (Layers[i].Contains(folder)) return i;
        return -1;
    }
}
