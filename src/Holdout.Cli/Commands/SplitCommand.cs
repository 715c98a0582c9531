using Holdout.Data;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout split DATA</c>: a stratified, duplicate-aware split written to split.csv.</summary>
internal sealed class SplitCommand : Command<SplitCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandArgument(0, "<DATA>")]
        [Description("Dataset: a folder with one subfolder per class, a folder with train/val/test subfolders, or a CSV manifest (path,label[[,split]]).")]
        public string Data { get; init; } = "";

        [CommandOption("--seed <N>")]
        [Description("Seed of the random assignment; the same seed gives the same split.")]
        [DefaultValue(SplitOptions.DefaultSeed)]
        public long Seed { get; init; } = SplitOptions.DefaultSeed;

        [CommandOption("--ratios <TRAIN/VAL/TEST>")]
        [Description("Fractions per class, e.g. 70/15/15 or 0.8/0.1/0.1.")]
        [DefaultValue("70/15/15")]
        public string Ratios { get; init; } = "70/15/15";

        [CommandOption("--out <FILE>")]
        [Description("Where to write the split manifest (path,label,split,group).")]
        [DefaultValue("split.csv")]
        public string Out { get; init; } = "split.csv";

        [CommandOption("--strict")]
        [Description("Treat unreadable files as an error instead of skipping them.")]
        public bool Strict { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        {
            using var imageSettings = settings.UseImageSettings();
            var ratios = SplitRatios.Parse(settings.Ratios);
            var dataset = DatasetDiscovery.Discover(settings.Data, new DiscoveryOptions(settings.Strict), cancellationToken);
            DataOutput.WriteSkipped(dataset.Skipped);
            if (dataset.Samples.Count == 0)
                throw new HoldoutException($"'{settings.Data}' has no usable images: all {dataset.Skipped.Count} file(s) were skipped (listed above), so there is nothing to split and no split file was written. Fix the files, or raise --max-pixels if they are only large.");
            var result = Splitter.Split(dataset, new SplitOptions(ratios, settings.Seed), cancellationToken);
            result.Manifest.Write(settings.Out);

            var manifest = result.Manifest;
            var how = manifest.Seed is null
                ? "the dataset's own split"
                : $"seed {manifest.Seed.Value.ToString(CultureInfo.InvariantCulture)}, ratios {manifest.Ratios}" + (dataset.HasGivenSplit ? " (missing parts carved from train)" : "");
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(dataset.Samples.Count.ToString(CultureInfo.InvariantCulture))}[/] images, {dataset.ClassNames.Count} classes ({Markup.Escape(dataset.Layout.ToString())}); {Markup.Escape(how)}");
            var counts = manifest.Counts();
            var table = new Table().Border(TableBorder.Rounded).AddColumn("class").AddColumn("train", c => c.RightAligned())
                .AddColumn("val", c => c.RightAligned()).AddColumn("test", c => c.RightAligned()).AddColumn("total", c => c.RightAligned());
            var totals = new int[3];
            for (var c = 0; c < manifest.ClassNames.Count; c++)
            {
                var row = Enumerable.Range(0, 3).Select(s => counts[c, s]).ToArray();
                for (var s = 0; s < 3; s++)
                {
                    totals[s] += row[s];
                }
                table.AddRow([Markup.Escape(manifest.ClassNames[c]), .. row.Select(Number), Number(row.Sum())]);
            }
            table.AddRow(["[bold]all[/]", .. totals.Select(Number), Number(totals.Sum())]);
            AnsiConsole.Write(table);

            var groups = result.Duplicates.Groups;
            if (groups.Count == 0)
            {
                AnsiConsole.MarkupLine("Duplicates: none found (exact pixels, or dHash or pHash within 10 bits and thumbnails correlating at least 0.975).");
            }
            else
            {
                AnsiConsole.MarkupLine($"Duplicates: [yellow]{groups.Count}[/] group(s), {groups.Sum(g => g.Members.Count)} images; each group is kept in one split:");
                foreach (var group in groups.Take(50))
                {
                    var distance = group.Kind == DuplicateKind.Exact ? "same pixels" : $"near: dHash {group.MaxDifferenceHashDistance}, pHash {group.MaxDctHashDistance} bits, thumbnails correlate {group.MinThumbnailCorrelation.ToString("F3", CultureInfo.InvariantCulture)}";
                    AnsiConsole.MarkupLine($"  group {group.Id} ({Markup.Escape(distance)}):");
                    foreach (var member in group.Members)
                    {
                        var entry = manifest.Entries[member];
                        AnsiConsole.MarkupLine($"    {Markup.Escape(entry.Split.ToName()),-5} {Markup.Escape(entry.Label)}  {Markup.Escape(entry.Path)}");
                    }
                }
                if (groups.Count > 50)
                {
                    AnsiConsole.MarkupLine($"  ... and {groups.Count - 50} more groups (see the group column of the manifest)");
                }
            }
            foreach (var group in result.CrossSplitGroups)
            {
                AnsiConsole.MarkupLine($"[yellow]warning:[/] duplicate group {group.Id} spans splits in the dataset's own split ({string.Join(", ", group.Members.Select(m => Markup.Escape(manifest.Entries[m].Split.ToName() + " " + Path.GetFileName(manifest.Entries[m].Path))))}): evaluation on it is optimistic. Remove the copies or let holdout split the data.");
            }
            AnsiConsole.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(settings.Out))}[/]");
            return 0;
        }
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
