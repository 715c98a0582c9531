using System.Globalization;
using Holdout.Data;
using Holdout.Explaining;
using Holdout.Imaging;
using Holdout.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// shortcut-cue: does a trained model recognise a class by a small, fixed region of its images (a watermark, a
/// border, a ruler, a tag) instead of by what the class is? Lapuschkin et al. (2019) found such "Clever Hans"
/// strategies by clustering explanation heatmaps (Spectral Relevance Analysis); this check does the same on Grad-CAM
/// heatmaps of the validation images and then proves each suspicion by intervention before it says anything:
/// <list type="number">
/// <item>Each validation image's heatmap for its own class (<see cref="GradCam"/>), pooled to an 8 x 8 grid.</item>
/// <item>Per class, the heatmaps are clustered (k-means, k = 1..3: one strategy or several); for every cluster and every
/// candidate region (squares of a quarter and a third of the side across the image, the four edges, the border
/// frame) the cluster's median share of heat in the region is compared with the region's area (is the focus
/// localised?) and with the other classes' images (is it specific to this class?).</item>
/// <item>The most specific localised focus of a class is tested: the region is filled with each image's mean colour,
/// and the class's accuracy is compared with the same images with a random region of the same size filled; then the
/// region is pasted from this class's images onto the other classes' images, and the share of predictions that turn
/// into this class is compared with pasting a random region of the same size.</item>
/// </list>
/// Only a focus whose removal costs far more than a random region's, or whose transplant flips predictions, is
/// reported; its severity follows the measured effect.
/// </summary>
internal static class ShortcutCueCheck
{
    /// <summary>Side of the grid heatmaps are pooled to before clustering and region shares.</summary>
    private const int Grid = 8;

    /// <summary>Images the interventions use per class (occlusion) and from the other classes (paste).</summary>
    private const int InterventionImages = 48;

    /// <summary>Explains, screens and tests. Returns the findings and a line of what was measured.</summary>
    /// <param name="model">The trained model, in any mode (it is evaluated in eval mode and put back).</param>
    /// <param name="validation">The validation images, prepared as the model expects.</param>
    /// <param name="preprocessing">How they were prepared (for the montage).</param>
    /// <param name="options">Thresholds.</param>
    /// <param name="outputFolder">Where the montage of a finding goes; null for none.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static (CheckOutcome Outcome, IReadOnlyList<CueMeasurement> Measurements) Run(ImageClassifier model, IBatchSource validation,
        Preprocessing preprocessing, ShortcutCueOptions options, string? outputFolder, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Load(validation, options.MaxImages, options.Seed, cancellationToken);
        var classes = model.ClassNames;
        if (labels.Length < 4 || labels.Distinct().Count() < 2)
        {
            return (CheckOutcome.Of(null, "too few validation images or classes to compare"), []);
        }
        var explanations = Explain(model, images, labels, cancellationToken);
        var measurements = new List<CueMeasurement>();
        var findings = new List<Finding>();
        var random = new Random((int)(options.Seed & 0x7fffffff));
        for (var c = 0; c < classes.Count; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var focus = Screen(explanations, labels, c, options);
            if (focus is null) continue;
            var measured = Intervene(model, images, labels, explanations, focus, random, options);
            measurements.Add(measured);
            if (Report(measured, classes, explanations, images, preprocessing, outputFolder, options) is { } finding)
            {
                findings.Add(finding);
            }
        }
        var observed = measurements.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{labels.Length} validation images explained; no class focuses on one region more than the others do")
            : string.Join("; ", measurements.Select(m => m.Describe(classes)));
        return (new CheckOutcome(findings, observed), measurements);
    }

    /// <summary>The validation images (at most <paramref name="max"/>, spread evenly over the classes) and labels, on the CPU.</summary>
    private static (Tensor Images, int[] Labels) Load(IBatchSource source, int max, long seed, CancellationToken cancellationToken)
    {
        var parts = new List<Tensor>();
        var labels = new List<int>();
        foreach (var batch in source.Batches(0, cancellationToken))
        {
            using var owned = batch;
            parts.Add(batch.Images.detach().cpu().to_type(ScalarType.Float32));
            labels.AddRange(batch.Labels.data<long>().ToArray().Select(l => (int)l));
        }
        var all = cat(parts, 0);
        if (labels.Count <= max) return (all, [.. labels]);
        // Keep every class's share: a seeded sample of each class, in order.
        var random = new Random((int)(seed & 0x7fffffff));
        var keep = labels.Select((label, index) => (label, index)).GroupBy(x => x.label)
            .SelectMany(g => g.OrderBy(_ => random.Next()).Take((int)Math.Ceiling(g.Count() * (double)max / labels.Count)).Select(x => x.index))
            .Order().ToArray();
        return (all.index_select(0, tensor(keep.Select(i => (long)i).ToArray())), [.. keep.Select(i => labels[i])]);
    }

    private static GradCamExplanation[] Explain(ImageClassifier model, Tensor images, int[] labels, CancellationToken cancellationToken)
    {
        var result = new List<GradCamExplanation>(labels.Length);
        var device = model.parameters().First().device;
        for (var start = 0; start < labels.Length; start += 32)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var count = Math.Min(32, labels.Length - start);
            var batch = images.narrow(0, start, count).to(device);
            result.AddRange(GradCam.Explain(model, batch, labels.AsSpan(start, count).ToArray()).Explanations);
        }
        return [.. result];
    }

    /// <summary>The candidate regions: squares across the image, the four edges and the border frame.</summary>
    internal static IReadOnlyList<CueRegion> Candidates { get; } = BuildCandidates();

    private static List<CueRegion> BuildCandidates()
    {
        var regions = new List<CueRegion>();
        foreach (var (side, stride) in new[] { (0.25, 0.125), (1 / 3.0, 1 / 6.0) })
        {
            for (var y = 0.0; y + side <= 1 + 1e-9; y += stride)
            {
                for (var x = 0.0; x + side <= 1 + 1e-9; x += stride)
                {
                    regions.Add(new CueRegion(new ImageRegion(x, y, Math.Min(1, x + side), Math.Min(1, y + side)), Frame: false));
                }
            }
        }
        const double edge = 0.15;
        regions.Add(new CueRegion(new ImageRegion(0, 0, 1, edge), false));
        regions.Add(new CueRegion(new ImageRegion(0, 1 - edge, 1, 1), false));
        regions.Add(new CueRegion(new ImageRegion(0, 0, edge, 1), false));
        regions.Add(new CueRegion(new ImageRegion(1 - edge, 0, 1, 1), false));
        regions.Add(new CueRegion(new ImageRegion(edge, edge, 1 - edge, 1 - edge), Frame: true));
        return regions;
    }

    /// <summary>
    /// The most specific localised focus of class <paramref name="c"/>'s heatmaps, or null: SpRAy-style clusters of
    /// the class's pooled heatmaps, each compared region by region with the other classes' heatmaps.
    /// </summary>
    internal static CueFocus? Screen(IReadOnlyList<GradCamExplanation> explanations, int[] labels, int c, ShortcutCueOptions options)
    {
        var mine = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
        var others = Enumerable.Range(0, labels.Length).Where(i => labels[i] != c).ToArray();
        if (mine.Length < options.MinClassImages || others.Length == 0) return null;
        var shares = new double[labels.Length][];
        foreach (var i in mine.Concat(others))
        {
            shares[i] = Candidates.Select(r => r.ShareOf(explanations[i].Heatmap)).ToArray();
        }
        var otherMedian = Enumerable.Range(0, Candidates.Count).Select(r => Median(others.Select(i => shares[i][r]))).ToArray();
        var pooled = mine.Select(i => explanations[i].Heatmap.Pooled(Grid)).ToArray();
        var found = new List<CueFocus>();
        for (var k = 1; k <= 3; k++)
        {
            var assignment = KMeans(pooled, k, options.Seed);
            for (var cluster = 0; cluster < k; cluster++)
            {
                var members = mine.Where((_, j) => assignment[j] == cluster).ToArray();
                if (members.Length < Math.Max(options.MinClassImages, (int)Math.Ceiling(0.25 * mine.Length))) continue;
                for (var r = 0; r < Candidates.Count; r++)
                {
                    var region = Candidates[r];
                    var share = Median(members.Select(i => shares[i][r]));
                    var other = otherMedian[r];
                    var localised = share >= Math.Max(options.MinShare, Math.Min(options.MinLift * region.Area, options.MaxShareBar));
                    // at least 0.2 above the other classes, and either twice their share or half of what they leave (large regions such as the border)
                    var specific = share - other >= options.MinSpecificity && share - other >= Math.Min(other, (1 - other) / 2);
                    if (!localised || !specific) continue;
                    var fraction = members.Length / (double)mine.Length;
                    found.Add(new CueFocus(c, region, members, mine.Length, share, other, (share - other) * Math.Sqrt(fraction)));
                }
            }
        }
        if (found.Count == 0) return null;
        // Of the foci nearly as specific as the best one, the densest (share per area): a small cue in a corner is
        // named as the quarter-side corner square, not the edge band or the third-side square around it.
        var top = found.Max(f => f.Score);
        return found.Where(f => f.Score >= 0.8 * top).OrderByDescending(f => f.Share / f.Region.Area).ThenByDescending(f => f.Score).First();
    }

    /// <summary>The interventions on one focus: occlusion against a random region, paste against a random paste.</summary>
    private static CueMeasurement Intervene(ImageClassifier model, Tensor images, int[] labels, GradCamExplanation[] explanations,
        CueFocus focus, Random random, ShortcutCueOptions options)
    {
        using var scope = NewDisposeScope();
        var size = (int)images.shape[2];
        var c = focus.Class;
        var mine = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).Take(InterventionImages).ToArray();
        var others = Enumerable.Range(0, labels.Length).Where(i => labels[i] != c).OrderBy(_ => random.Next()).Take(InterventionImages).ToArray();
        var sources = focus.Members.OrderBy(_ => random.Next()).ToArray();

        var mask = focus.Region.Mask(size);
        var own = images.index_select(0, Indices(mine));
        var accuracy = mine.Count(i => explanations[i].PredictedClass == c) / (double)mine.Length;
        var occluded = Accuracy(model, Occlude(own, mask.expand(own.shape[0], 1, size, size)), c);
        var randomOccluded = 0.0;
        for (var repeat = 0; repeat < options.RandomRepeats; repeat++)
        {
            var masks = stack(mine.Select(_ => focus.Region.RandomLike(random).Mask(size)).ToArray(), 0);
            randomOccluded += Accuracy(model, Occlude(own, masks), c) / options.RandomRepeats;
        }

        var target = images.index_select(0, Indices(others));
        var donors = images.index_select(0, Indices(others.Select((_, j) => sources[j % sources.Length])));
        var before = others.Select(i => explanations[i].PredictedClass).ToArray();
        var pasted = Predict(model, Paste(target, donors, mask.expand(target.shape[0], 1, size, size)));
        var randomMasks = stack(others.Select(_ => focus.Region.RandomLike(random).Mask(size)).ToArray(), 0);
        var randomPasted = Predict(model, Paste(target, donors, randomMasks));
        var candidates = Enumerable.Range(0, others.Length).Where(j => before[j] != c).ToArray();
        double Flip(int[] after) => candidates.Length == 0 ? double.NaN : candidates.Count(j => after[j] == c) / (double)candidates.Length;
        return new CueMeasurement(focus, mine.Length, accuracy, occluded, randomOccluded, candidates.Length, Flip(pasted), Flip(randomPasted));
    }

    private static Tensor Indices(IEnumerable<int> indices) => tensor(indices.Select(i => (long)i).ToArray());

    /// <summary>Fills the masked pixels with each image's mean colour.</summary>
    private static Tensor Occlude(Tensor images, Tensor masks)
    {
        var mean = images.mean([2L, 3L], keepdim: true);
        return images * (1 - masks) + mean * masks;
    }

    private static Tensor Paste(Tensor images, Tensor donors, Tensor masks) => images * (1 - masks) + donors * masks;

    private static double Accuracy(ImageClassifier model, Tensor images, int c) => Predict(model, images).Count(p => p == c) / (double)images.shape[0];

    private static int[] Predict(ImageClassifier model, Tensor images)
    {
        var device = model.parameters().First().device;
        var wasTraining = model.training;
        model.eval();
        try
        {
            var result = new List<int>();
            using var noGrad = no_grad();
            using var folded = model.FoldedInference();
            for (var start = 0; start < images.shape[0]; start += 32)
            {
                using var scope = NewDisposeScope();
                var count = Math.Min(32, images.shape[0] - start);
                result.AddRange(model.forward(images.narrow(0, start, count).to(device)).argmax(1).cpu().data<long>().ToArray().Select(p => (int)p));
            }
            return [.. result];
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// The finding for a measurement (with its montage written when <paramref name="outputFolder"/> is given; the
    /// explanations, images and preprocessing are only read for it), or null when the interventions do not confirm the focus.
    /// </summary>
    internal static Finding? Report(CueMeasurement m, IReadOnlyList<string> classes, GradCamExplanation[]? explanations, Tensor? images,
        Preprocessing? preprocessing, string? outputFolder, ShortcutCueOptions options)
    {
        if (!m.Confirmed(options)) return null;
        var name = classes[m.Focus.Class];
        var where = m.Focus.Region.Describe();
        var others = classes.Count == 2 ? $"'{classes[1 - m.Focus.Class]}'" : "other classes'";
        var evidence = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"Grad-CAM of {m.Focus.ClassImages} '{name}' validation images, clustered (SpRAy-style, k-means on 8x8 heatmaps): {m.Focus.Members.Count} of them put a median {m.Focus.Share:P0} of their heat in the {where} ({m.Focus.Region.Area:P0} of the image); the other classes' images put {m.Focus.OtherShare:P0} there"),
            string.Create(CultureInfo.InvariantCulture,
                $"occlusion: filling the {where} with each image's mean colour takes '{name}' accuracy from {m.Accuracy:0.00} to {m.Occluded:0.00} on {m.Images} images; filling a random region of the same size gives {m.RandomOccluded:0.00}"),
            double.IsNaN(m.Flipped)
                ? "paste: no image of the other classes was predicted as another class to begin with"
                : string.Create(CultureInfo.InvariantCulture,
                    $"paste: the {where} of '{name}' images pasted onto {m.PasteImages} of the {others} images turns {m.Flipped:P0} of their predictions into '{name}'; a random region of the same size pasted turns {m.RandomFlipped:P0}"),
        };
        var files = new List<string>();
        if (outputFolder is not null && explanations is not null && images is not null && preprocessing is not null)
        {
            var path = Path.Combine(outputFolder, $"shortcut-cue-{FileSafe(name)}.png");
            var strongest = m.Focus.Members.OrderByDescending(i => m.Focus.Region.ShareOf(explanations[i].Heatmap)).Take(8).ToList();
            CueMontage.Write(path, strongest.Select(i => (images[i], explanations[i].Heatmap)).ToList(), preprocessing, m.Focus.Region);
            files.Add(path);
            evidence.Add($"montage of the {strongest.Count} strongest examples with their heatmaps and the region: {path}");
        }
        var severity = Math.Max(m.Accuracy - m.Occluded, double.IsNaN(m.Flipped) ? 0 : m.Flipped) >= options.ErrorEffect ? FindingSeverity.Error : FindingSeverity.Warning;
        return new Finding(FindingCodes.ShortcutCue, severity,
            string.Create(CultureInfo.InvariantCulture,
                $"The model recognises '{name}' by the {where} (about {m.Focus.Region.Area:P0} of the image): hiding it drops the class's validation accuracy from {m.Accuracy:0.00} to {m.Occluded:0.00} (a random region of the same size: {m.RandomOccluded:0.00}){(double.IsNaN(m.Flipped) ? "" : string.Create(CultureInfo.InvariantCulture, $", and pasting it onto {others} images turns {m.Flipped:P0} of them into '{name}'"))}."),
            evidence,
            $"Look at the montage: if the {where} holds a watermark, border, tag or other mark that only '{name}' images carry, crop or mask it in every split (or remove the images that carry it), or collect '{name}' images without it; a test set with the same cue will not show the problem.",
            Files: files);
    }

    private static string FileSafe(string name) => string.Concat(name.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_'));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Seeded k-means (k-means++ start, 20 rounds) of the rows; returns each row's cluster.</summary>
    internal static int[] KMeans(double[][] rows, int k, long seed)
    {
        var n = rows.Length;
        var assignment = new int[n];
        if (k <= 1 || n <= k) return assignment;
        var random = new Random((int)(seed & 0x7fffffff) + k);
        var centres = new List<double[]> { rows[random.Next(n)] };
        while (centres.Count < k)
        {
            var distances = rows.Select(r => centres.Min(c => Distance(r, c))).ToArray();
            var total = distances.Sum();
            var pick = random.NextDouble() * total;
            var index = 0;
            for (var acc = distances[0]; acc < pick && index < n - 1; acc += distances[++index]) { }
            centres.Add(rows[index]);
        }
        for (var round = 0; round < 20; round++)
        {
            var changed = false;
            for (var i = 0; i < n; i++)
            {
                var nearest = Enumerable.Range(0, k).MinBy(j => Distance(rows[i], centres[j]));
                if (nearest != assignment[i]) { assignment[i] = nearest; changed = true; }
            }
            for (var j = 0; j < k; j++)
            {
                var members = rows.Where((_, i) => assignment[i] == j).ToArray();
                if (members.Length == 0) continue;
                centres[j] = Enumerable.Range(0, rows[0].Length).Select(d => members.Average(m => m[d])).ToArray();
            }
            if (!changed && round > 0) break;
        }
        return assignment;
    }

    private static double Distance(double[] a, double[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++) sum += (a[i] - b[i]) * (a[i] - b[i]);
        return sum;
    }
}

/// <summary>A candidate region: a rectangle, or the frame outside a rectangle (the border band).</summary>
/// <param name="Box">The rectangle (for a frame: the inside that is not part of it).</param>
/// <param name="Frame">True for the border frame around <paramref name="Box"/>.</param>
internal sealed record CueRegion(ImageRegion Box, bool Frame)
{
    public double Area => Frame ? 1 - Box.Area : Box.Area;

    public double ShareOf(Heatmap heatmap) => Frame ? 1 - heatmap.ShareIn(Box) : heatmap.ShareIn(Box);

    public string Describe() => Frame ? "border" : Box.Describe() switch
    {
        "centre" => "centre",
        var place => place.EndsWith("edge", StringComparison.Ordinal) && Box.Area >= 0.14 ? place.Replace("edge", "edge band", StringComparison.Ordinal) : place,
    };

    /// <summary>1 x S x S float mask of the region.</summary>
    public Tensor Mask(int size)
    {
        using var scope = NewDisposeScope();
        int Pixel(double v) => (int)Math.Round(Math.Clamp(v, 0, 1) * size);
        var mask = zeros(1, size, size);
        var (x0, y0, x1, y1) = (Pixel(Box.Left), Pixel(Box.Top), Pixel(Box.Right), Pixel(Box.Bottom));
        if (x1 > x0 && y1 > y0) mask[TensorIndex.Colon, TensorIndex.Slice(y0, y1), TensorIndex.Slice(x0, x1)] = 1f;
        return (Frame ? 1 - mask : mask).MoveToOuterDisposeScope();
    }

    /// <summary>A region of the same size at a random place: a rectangle of the same shape, or for a frame a square of the same area.</summary>
    public CueRegion RandomLike(Random random)
    {
        var (w, h) = Frame ? (Math.Sqrt(Area), Math.Sqrt(Area)) : (Box.Right - Box.Left, Box.Bottom - Box.Top);
        for (var attempt = 0; ; attempt++)
        {
            var x = random.NextDouble() * (1 - w);
            var y = random.NextDouble() * (1 - h);
            var box = new ImageRegion(x, y, x + w, y + h);
            if (Frame || attempt >= 20 || Overlap(box, Box) <= 0.25 * box.Area) return new CueRegion(box, false);
        }
    }

    private static double Overlap(ImageRegion a, ImageRegion b) =>
        Math.Max(0, Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left)) * Math.Max(0, Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top));
}

/// <summary>A class's most specific localised focus, found by screening the heatmaps.</summary>
/// <param name="Class">The class.</param>
/// <param name="Region">Where.</param>
/// <param name="Members">The validation images (indices) of the cluster that shows it.</param>
/// <param name="ClassImages">The class's validation images.</param>
/// <param name="Share">The cluster's median share of heat in the region.</param>
/// <param name="OtherShare">The other classes' images' median share there.</param>
/// <param name="Score">How specific, weighted by the cluster's size.</param>
internal sealed record CueFocus(int Class, CueRegion Region, IReadOnlyList<int> Members, int ClassImages, double Share, double OtherShare, double Score);

/// <summary>What the interventions on a focus measured.</summary>
/// <param name="Focus">The focus tested.</param>
/// <param name="Images">Images of the class the occlusions ran on.</param>
/// <param name="Accuracy">The class's accuracy on them as they are.</param>
/// <param name="Occluded">With the region filled with each image's mean colour.</param>
/// <param name="RandomOccluded">With a random region of the same size filled (mean of the repeats).</param>
/// <param name="PasteImages">Other-class images not predicted as the class, that the paste ran on.</param>
/// <param name="Flipped">Their share predicted as the class after the region was pasted from the class's images (NaN: none).</param>
/// <param name="RandomFlipped">The same with a random region of the same size pasted.</param>
internal sealed record CueMeasurement(CueFocus Focus, int Images, double Accuracy, double Occluded, double RandomOccluded,
    int PasteImages, double Flipped, double RandomFlipped)
{
    public double Drop => Accuracy - Occluded;

    public double RandomDrop => Accuracy - RandomOccluded;

    /// <summary>
    /// Whether an intervention confirms the focus: on a class the model mostly recognises, occlusion costs far more
    /// than a random region; or the paste flips far more predictions than a random paste.
    /// </summary>
    public bool Confirmed(ShortcutCueOptions options) =>
        Accuracy >= options.MinAccuracy && (Drop >= options.MinDrop && Drop - RandomDrop >= options.MinExcessEffect)
        || (!double.IsNaN(Flipped) && Flipped >= options.MinFlip && Flipped - RandomFlipped >= options.MinExcessEffect);

    public string Describe(IReadOnlyList<string> classes) => string.Create(CultureInfo.InvariantCulture,
        $"'{classes[Focus.Class]}' focuses on the {Focus.Region.Describe()} ({Focus.Share:0.00} of heat vs {Focus.OtherShare:0.00}): occluded accuracy {Accuracy:0.00} -> {Occluded:0.00} (random {RandomOccluded:0.00}), paste flips {Flipped:0.00} (random {RandomFlipped:0.00})");
}

/// <summary>Thresholds of <see cref="ShortcutCueCheck"/>.</summary>
/// <param name="MaxImages">Validation images explained at most (a seeded sample per class beyond). Defaults to 400.</param>
/// <param name="MinAccuracy">Occlusion only proves a cue on a class the model gets right this often (a cue is something the model uses). Defaults to 0.5.</param>
/// <param name="MinClassImages">A class (and a cluster) needs this many images to be screened. Defaults to 6.</param>
/// <param name="MinShare">Median share of heat a region must hold. Defaults to 0.35.</param>
/// <param name="MinLift">... and at least this many times its area. Defaults to 2.5.</param>
/// <param name="MaxShareBar">The area-based bar is capped here (for large regions such as the border). Defaults to 0.7.</param>
/// <param name="MinSpecificity">The class's median share minus the other classes'. Defaults to 0.2.</param>
/// <param name="MinDrop">Occlusion must cost at least this much accuracy. Defaults to 0.2.</param>
/// <param name="MinFlip">Or the paste must flip at least this share. Defaults to 0.3.</param>
/// <param name="MinExcessEffect">... and that much more than a random region. Defaults to 0.15.</param>
/// <param name="ErrorEffect">From this drop or flip share the finding is an error, below a warning. Defaults to 0.5.</param>
/// <param name="RandomRepeats">Random occlusions per image (each image gets its own random place). Defaults to 1.</param>
/// <param name="Seed">Seeds sampling, clustering and random regions. Defaults to 42.</param>
internal sealed record ShortcutCueOptions(
    int MaxImages = 400,
    double MinAccuracy = 0.5,
    int MinClassImages = 6,
    double MinShare = 0.35,
    double MinLift = 2.5,
    double MaxShareBar = 0.7,
    double MinSpecificity = 0.2,
    double MinDrop = 0.2,
    double MinFlip = 0.3,
    double MinExcessEffect = 0.15,
    double ErrorEffect = 0.5,
    int RandomRepeats = 1,
    long Seed = 42);
