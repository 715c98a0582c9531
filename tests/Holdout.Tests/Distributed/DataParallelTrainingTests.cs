using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Distributed;

/// <summary>
/// <c>mpirun -n 2 holdout train</c> against one process on the same data: the same histories, one run folder written
/// by rank 0, a killed rank that ends the job and a run that resumes with one rank, and ranks that disagree refused.
/// </summary>
/// <remarks>
/// One process runs with 2 engine threads and each rank with 1: libtorch's 2-thread kernels split a batch's sums in
/// two as the two ranks do, so the comparison measures Holdout's data parallelism and not a thread count's rounding.
/// (One process with 1 thread against 2 threads differs by about 1e-3 relative after two all-layers epochs of the
/// ResNet-18 below: rounding grows over the steps of training. The data-parallel run agrees with the 2-thread one
/// to about 1e-5.)
/// </remarks>
public sealed class DataParallelTrainingTests : IDisposable
{
    private readonly TempFolder _work = new();

    public void Dispose() => _work.Dispose();

    /// <summary>
    /// 51 bean photos as a manifest with fixed splits: 33 training images (batches of 8: the last holds one, so one rank's
    /// slice of it is empty), 9 validation, 9 test.
    /// </summary>
    private string TinyManifest()
    {
        var text = new StringBuilder("path,label,split\n");
        foreach (var (name, c) in SampleBeans.Classes.Select((n, i) => (n, i)))
        {
            var files = Directory.GetFiles(Path.Combine(SampleBeans.Folder, name), "*.jpg").Order(StringComparer.Ordinal).Take(17).ToList();
            for (int i = 0; i < files.Count; i++)
                text.Append(files[i]).Append(',').Append(name).Append(',').Append(i < 11 ? "train" : i < 14 ? "val" : "test").Append('\n');
        }
        var path = Path.Combine(_work.Path, "tiny.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    public static TheoryData<string, string[]> Jobs => new()
    {
        { "simple CNN, 2 epochs (dropout, scratch)", ["--model", "simple-cnn", "--image-size", "64", "--epochs", "2"] },
        { "ResNet-18 fine-tune: linear probe + 2 all-layers epochs", ["--model", "resnet18", "--image-size", "64", "--epochs", "3"] },
    };

    [MpiTheory]
    [MemberData(nameof(Jobs))]
    public void Should_train_with_two_ranks_what_one_process_trains(string job, string[] model)
    {
        // Given a tiny dataset and one job, in fp32 with augmentation, batches of 8
        var data = TinyManifest();
        string[] Args(string folder) => ["train", data, .. model, "--precision", "fp32", "--batch-size", "8", "--seed", "3", "--out", folder];
        var single = Path.Combine(_work.Path, "single");
        var parallel = Path.Combine(_work.Path, "parallel");
        var scratch = Directory.CreateDirectory(Path.Combine(_work.Path, "tmp")).FullName;

        // When one process trains it, and two ranks do
        var one = Cli.CliProcess.Run(Args(single), TimeSpan.FromMinutes(5), environment: new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "2" });
        Assert.True(one.ExitCode == 0, $"{job}: one process failed:\n{one.Output}\n{one.Errors}");
        using var mpirun = Mpirun.Start(Mpirun.Arguments(2, 1, Args(parallel)), new Dictionary<string, string> { ["TMPDIR"] = scratch });
        var two = mpirun.WaitForExit(TimeSpan.FromMinutes(5));
        Assert.True(two.ExitCode == 0, $"{job}: mpirun -n 2 failed:\n{two.Output}\n{two.Errors}");

        // Then every epoch's loss, accuracy, val_loss and val_acc agree within 1e-4 relative
        var expected = HistoryCsv.Read(Path.Combine(single, "history.csv"));
        var actual = HistoryCsv.Read(Path.Combine(parallel, "history.csv"));
        Assert.Equal(expected.Count, actual.Count);
        for (int e = 0; e < expected.Count; e++)
        {
            foreach (var (name, want, got) in new[]
                     {
                         ("loss", expected[e].Loss, actual[e].Loss), ("acc", expected[e].Accuracy, actual[e].Accuracy),
                         ("val_loss", expected[e].ValLoss, actual[e].ValLoss), ("val_acc", expected[e].ValAccuracy, actual[e].ValAccuracy),
                     })
            {
                Assert.True(Math.Abs(got - want) <= 1e-4 * Math.Abs(want),
                    string.Create(CultureInfo.InvariantCulture, $"{job}, epoch {e + 1} {name}: one process {want:R}, two ranks {got:R} (relative {Math.Abs(got - want) / Math.Abs(want):0.0e0})"));
            }
        }

        // And rank 0 alone wrote the run folder and the progress: config.json records the ranks, the log says so once,
        // and the other rank's scratch folder is gone
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(parallel, "config.json")))!;
        Assert.Equal(2, config["distributed"]!["world_size"]!.GetValue<int>());
        Assert.Equal(2, config["distributed"]!["hosts"]!.AsArray().Count);
        Assert.Equal(expected.Count, CountOf(two.Output, "\nEpoch ") + (two.Output.StartsWith("Epoch ", StringComparison.Ordinal) ? 1 : 0)
            + CountOf(two.Output, "=Epoch "));
        Assert.Equal(1, CountOf(File.ReadAllText(Path.Combine(parallel, "train.log")), "Data-parallel: 2 ranks"));
        Assert.Empty(Directory.GetDirectories(scratch, "holdout-rank*"));
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(parallel, "summary.json")))!;
        Assert.Equal(2, summary["distributed"]!["world_size"]!.GetValue<int>());
        Assert.Equal(JsonNode.Parse(File.ReadAllText(Path.Combine(single, "summary.json")))!["test"]!["accuracy"]!.GetValue<double>(),
            summary["test"]!["accuracy"]!.GetValue<double>(), 6);
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    [MpiFact]
    public void Should_end_the_job_when_a_rank_is_killed_and_resume_with_one_rank()
    {
        // Given two ranks training the sample (each epoch takes seconds)
        var folder = Path.Combine(_work.Path, "killed");
        using var mpirun = Mpirun.Start(Mpirun.Arguments(2, 1, "train", SampleBeans.Folder, "--model", "simple-cnn", "--image-size", "64", "--epochs", "4",
            "--precision", "fp32", "--seed", "5", "--out", folder));
        var history = Path.Combine(folder, "history.csv");
        mpirun.WaitUntil("the first epoch saved", () => File.Exists(history) && HistoryCsv.Read(history).Count >= 1, TimeSpan.FromMinutes(3));

        // When rank 1 is killed (SIGKILL) in the middle of the next epoch
        using var rank0 = System.Diagnostics.Process.GetProcessById(RankProcess(mpirun.Id, 0));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var victim = System.Diagnostics.Process.GetProcessById(RankProcess(mpirun.Id, 1))) victim.Kill();
        var ended = mpirun.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(rank0.WaitForExit(TimeSpan.FromSeconds(60)), "rank 0 was still running a minute after rank 1 was killed");

        // Then the job (mpirun and rank 0) ends within 30 s with a non-zero exit, naming the rank
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the job took {clock.Elapsed.TotalSeconds:0.0} s to end");
        Assert.NotEqual(0, ended.ExitCode);
        Assert.Contains("rank 1", ended.Output + ended.Errors, StringComparison.Ordinal);
        var saved = HistoryCsv.Read(history).Count;
        Assert.InRange(saved, 1, 3);

        // And one process resumes the run from its last checkpoint to the end
        var resumed = Cli.CliProcess.Run(["train", "--resume", folder], TimeSpan.FromMinutes(5));
        Assert.True(resumed.ExitCode == 0, resumed.Output + resumed.Errors);
        Assert.Contains($"Resuming {folder} after epoch {saved}", resumed.Output, StringComparison.Ordinal);
        Assert.Contains("started with 2 ranks and continues with 1", resumed.Output, StringComparison.Ordinal);
        Assert.Equal(4, HistoryCsv.Read(history).Count);
        Assert.True(File.Exists(Path.Combine(folder, "summary.json")));
    }

    /// <summary>The process of <paramref name="rank"/> among <paramref name="mpirun"/>'s children (by its OMPI_COMM_WORLD_RANK).</summary>
    private static int RankProcess(int mpirun, int rank)
    {
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (parent != mpirun) continue;
                if (File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}")) return pid;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        throw new InvalidOperationException($"No child of mpirun {mpirun} is rank {rank}.");
    }

    [MpiFact]
    public void Should_refuse_ranks_started_with_other_options_naming_them()
    {
        // Given two ranks started with different seeds (mpirun's MPMD syntax)
        var data = TinyManifest();
        var folder = Path.Combine(_work.Path, "mismatch");
        string[] Args(string seed) => ["train", data, "--model", "simple-cnn", "--image-size", "64", "--epochs", "1", "--seed", seed, "--out", folder];
        var first = Mpirun.Arguments(1, 1, Args("1"));
        var second = Mpirun.Arguments(1, 1, Args("2")).SkipWhile(a => a != "-n");

        // When they start
        using var mpirun = Mpirun.Start([.. first, ":", .. second]);
        var result = mpirun.WaitForExit(TimeSpan.FromMinutes(2));

        // Then the job is refused before training, with the differing rank and option named
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Rank 1 of 2 has other options than rank 0", result.Errors, StringComparison.Ordinal);
        Assert.Contains("seed is 2 here, 1 on rank 0", result.Errors, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "history.csv")));
    }
}
