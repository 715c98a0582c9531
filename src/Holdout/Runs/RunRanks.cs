using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Distributed;

namespace Holdout.Runs;

/// <summary>
/// What the ranks of a data-parallel <c>holdout train</c> share before they train: rank 0 owns the run folder; every
/// other rank works in a scratch folder of its own that receives rank 0's checkpoint files (to resume) and its split,
/// and is deleted at the end. The ranks then prove they run the same job: a hash of the options and one of the data
/// (each image's path, label, split and size as this rank sees it) must equal rank 0's.
/// </summary>
internal static class RunRanks
{
    /// <summary>A scratch run folder for a rank other than 0.</summary>
    public static string CreateScratch(ProcessGroup group) =>
        Directory.CreateTempSubdirectory($"holdout-rank{group.Rank.ToString(CultureInfo.InvariantCulture)}-").FullName;

    /// <summary>Deletes a rank's scratch folder (best effort: a leftover temp folder is no failure).</summary>
    public static void DeleteScratch(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Rank 0 sends the files a resume reads (config.json, last and best bundles, the optimiser state); the other ranks
    /// write them into <paramref name="files"/> (their scratch folder).
    /// </summary>
    public static void ShareCheckpointFiles(ProcessGroup group, RunFiles files)
    {
        if (group.Size == 1) return;
        string[] names = group.IsRoot
            ? [.. new[] { files.Config, files.Last, files.Best }.Concat(files.OptimizerStates()).Where(File.Exists).Select(p => Path.GetFileName(p)!)]
            : [];
        var list = group.Broadcast(string.Join('\n', names)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in list)
        {
            var bytes = group.Broadcast(group.IsRoot ? File.ReadAllBytes(Path.Combine(files.Folder, name)) : null);
            if (!group.IsRoot) AtomicFile.WriteAllBytes(Path.Combine(files.Folder, Path.GetFileName(name)), bytes);
        }
    }

    /// <summary>
    /// Rank 0 sends its split (image paths written in full, so they resolve on every rank: the data must be at the same
    /// path on every machine); the other ranks write it as <paramref name="files"/>' split.csv and return its path.
    /// </summary>
    public static void ShareSplit(ProcessGroup group, SplitManifest? rootSplit, RunFiles files)
    {
        if (group.Size == 1) return;
        byte[]? csv = null, metadata = null;
        if (group.IsRoot)
        {
            var transfer = Directory.CreateTempSubdirectory("holdout-split-").FullName;
            try
            {
                var path = Path.Combine(transfer, "split.csv");
                rootSplit!.Write(path); // paths outside its folder are written in full
                csv = File.ReadAllBytes(path);
                metadata = File.ReadAllBytes(SplitManifest.MetadataPath(path));
            }
            finally
            {
                DeleteScratch(transfer);
            }
        }
        csv = group.Broadcast(csv);
        metadata = group.Broadcast(metadata);
        if (group.IsRoot) return;
        AtomicFile.WriteAllBytes(SplitManifest.MetadataPath(files.Split), metadata);
        AtomicFile.WriteAllBytes(files.Split, csv);
    }

    /// <summary>
    /// Refuses the job, on every rank, when a rank's options (the run folder aside) differ from rank 0's; the message
    /// names the ranks, and each differing rank names the options that differ.
    /// </summary>
    public static void RequireSameOptions(ProcessGroup group, TrainRunOptions options)
    {
        if (group.Size == 1) return;
        var mine = JsonSerializer.SerializeToNode(options with { Out = null }, RunConfig.Json)!.AsObject();
        var rootText = group.Broadcast(group.IsRoot ? mine.ToJsonString() : null);
        var differences = JsonNode.Parse(rootText)!.AsObject()
            .Where(kv => !JsonNode.DeepEquals(kv.Value, mine[kv.Key]))
            .Select(kv => $"{kv.Key} is {Show(mine[kv.Key])} here, {Show(kv.Value)} on rank 0").ToList();
        var fix = "Start every rank with the same command line (mpirun does, unless the options come from files or variables that differ between machines)." +
                  (differences.Count > 0 ? $" This rank's differences: {string.Join("; ", differences)}." : "");
        RequireSame(group, SHA256.HashData(Encoding.UTF8.GetBytes(mine.ToJsonString())), "options", fix);
    }

    private static string Show(JsonNode? value) => value is null ? "unset" : value.ToJsonString();

    /// <summary>The data as this rank sees it: every image's path, label, split and size in bytes, hashed.</summary>
    public static byte[] DataHash(SplitManifest split)
    {
        var text = new StringBuilder();
        foreach (var entry in split.Entries)
        {
            var size = File.Exists(entry.Path) ? new FileInfo(entry.Path).Length : -1;
            text.Append(entry.Path).Append('\t').Append(entry.Label).Append('\t').Append(entry.Split.ToName()).Append('\t')
                .Append(size.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Refuses the job, on every rank, when a rank's <paramref name="hash"/> differs from rank 0's.</summary>
    /// <param name="group">The ranks.</param>
    /// <param name="hash">This rank's hash (the same length on every rank).</param>
    /// <param name="what">What was hashed, for the message (e.g. "options").</param>
    /// <param name="fix">How to make the ranks agree.</param>
    public static void RequireSame(ProcessGroup group, byte[] hash, string what, string fix)
    {
        if (group.Size == 1) return;
        var all = group.AllGather(hash);
        var root = all[..hash.Length];
        var differing = Enumerable.Range(1, group.Size - 1).Where(r => !all.AsSpan(r * hash.Length, hash.Length).SequenceEqual(root.AsSpan())).ToList();
        if (differing.Count == 0) return;
        throw new HoldoutException(
            $"Rank{(differing.Count > 1 ? "s" : "")} {string.Join(", ", differing)} of {group.Size} {(differing.Count > 1 ? "have" : "has")} other {what} than rank 0 " +
            $"(on {string.Join(", ", differing.Select(r => group.Hosts[r]).Distinct())}), so they would not train the same model. {fix}");
    }

    /// <summary>The line the log opens a data-parallel run with.</summary>
    public static string Describe(ProcessGroup group, int batchSize)
    {
        var hosts = group.Hosts.GroupBy(h => h, StringComparer.Ordinal).Select(g => g.Count() == 1 ? g.Key : $"{g.Key} x{g.Count()}");
        var (_, first) = new Shard(0, group.Size).SliceOf(batchSize);
        var (_, last) = new Shard(group.Size - 1, group.Size).SliceOf(batchSize);
        return $"Data-parallel: {group.Size} ranks ({string.Join(", ", hosts)}); each batch of {batchSize} is split {(first == last ? $"{first}" : $"{last}-{first}")} images per rank, " +
               "gradients are summed over the ranks (MPI allreduce) before every step; rank 0 writes this run folder.";
    }

    /// <summary>Records the ranks of this session in config.json (atomically); nothing for one process that started without ranks.</summary>
    public static void Record(string configPath, ProcessGroup group)
    {
        var document = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        if (group.Size == 1 && document["distributed"] is null) return;
        document["distributed"] = new JsonObject
        {
            ["world_size"] = group.Size,
            ["hosts"] = new JsonArray([.. group.Hosts.Select(h => (JsonNode)h)]),
            ["launcher"] = group.Size > 1 ? "mpirun (Open MPI)" : "none (one process)",
        };
        AtomicFile.WriteAllText(configPath, StrictJson.Write(document, RunConfig.Json));
    }
}
