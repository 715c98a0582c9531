using Holdout;
using Holdout.Cli;
using Holdout.Cli.Commands;

// The tool owns its process, so it opts in to the process-wide allocator tuning (before the engine allocates anything);
// HOLDOUT_MALLOC=system keeps glibc's defaults.
Holdout.Native.HoldoutRuntime.Initialize(new Holdout.Native.HoldoutRuntimeOptions { TuneAllocator = true });

// --verbose (anywhere on the command line) shows the stack trace of a failure; every other argument goes to the commands.
CliErrors.Verbose = args.Contains("--verbose");
args = [.. args.Where(a => a != "--verbose")];

// The last resort: an exception that escapes a background thread ends the process with one line and exit code 1,
// never an abort with a stack trace (exit code 134).
AppDomain.CurrentDomain.UnhandledException += (_, e) =>
{
    CliErrors.Unexpected(e.ExceptionObject as Exception ?? new InvalidOperationException(e.ExceptionObject?.ToString()));
    Environment.Exit(CliErrors.FailureExitCode);
};

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("holdout");
    config.SetApplicationVersion(typeof(HoldoutException).Assembly.GetName().Version?.ToString(3) ?? "0");
    config.PropagateExceptions();
    config.UseStrictParsing();
    Add<TrainCommand>(config, "train", "Train a classifier on a folder of images (default: the sample in samples/beans) and evaluate it on held-out images.",
        ["train"], ["train", "photos/", "--model", "resnet18", "--epochs", "8"], ["train", "--resume", "runs/20261129-101500-resnet18"]);
    Add<EvaluateCommand>(config, "evaluate", "Evaluate a run's best model on its test split (or --split, or --data with the same classes): accuracy, loss, per-class metrics, confusion, ROC-AUC, calibration.",
        ["evaluate", "runs/20261129-101500-resnet18"], ["evaluate", "runs/20261129-101500-resnet18", "--data", "more-photos/", "--json"]);
    Add<PredictCommand>(config, "predict", "Classify images, folders or CSV manifests with a run's best model (or a .holdout bundle); unreadable files are reported and the rest predicted.",
        ["predict", "runs/20261129-101500-resnet18", "photo.jpg"], ["predict", "model.holdout", "photos/", "--json", "--tta"]);
    Add<ExplainCommand>(config, "explain", "Show where a run's model looks: Grad-CAM heatmaps over images, folders or CSV manifests, written as overlay PNGs and explanations.jsonl (peak, border and quadrant shares) to --out.",
        ["explain", "runs/20261129-101500-resnet18", "photos/", "--out", "explained"], ["explain", "runs/20261129-101500-resnet18", "leaf.jpg", "--out", "explained", "--class", "healthy"]);
    Add<EmbedCommand>(config, "embed", "Write the backbone's pooled features of images (a run's model, or --model with its weights) to --out as a float32 NumPy array (.npy, image paths in .paths.txt beside it) or JSON lines (.jsonl): for similarity search and de-duplication.",
        ["embed", "runs/20261129-101500-resnet18", "photos/", "--out", "feats.npy"], ["embed", "--model", "resnet18", "photos/", "--out", "feats.jsonl"]);
    Add<ExportCommand>(config, "export", "Export a run's best model (or a .holdout bundle) as a standard ONNX file for ONNX Runtime: BatchNorm folded, dynamic batch, classes and preprocessing in its metadata.",
        ["export", "runs/20261129-101500-resnet18"], ["export", "model.holdout", "--out", "model.onnx", "--with-preprocessing"]);
    Add<ReportCommand>(config, "report", "Rebuild a run's self-contained report.html from its folder and print its path.");
    Add<LrFindCommand>(config, "lr-find", "Learning-rate range test: loss against a rising learning rate, plotted, with a suggested --lr.");
    Add<SplitCommand>(config, "split", "Split a dataset into train/val/test (stratified, seeded, duplicates kept together) and write split.csv.");
    Add<PreviewCommand>(config, "preview", "Write a grid PNG of the exact images one training batch feeds the model, with labels.");
    Add<DoctorCommand>(config, "doctor", "Name why a model is good on training data and bad on validation data: data, pipeline, model and learning-curve checks with evidence and fixes.",
        ["doctor", "photos/"], ["doctor", "photos/", "--run", "runs/20261129-101500-resnet18", "--deep"]);
    Add<EnvCommand>(config, "env", "Show the .NET runtime, engine versions, threads, processor, native loading and offline pretrained models.");
});

return LeaveJob(RunCommand(app, args));

static int RunCommand(CommandApp app, string[] args)
{
    try
    {
        return app.Run(args);
    }
    catch (CommandParseException e)
    {
        return CliErrors.Usage(e.Message);
    }
    catch (CommandRuntimeException e)
    {
        return CliErrors.Usage(e.Message);
    }
    catch (HoldoutException e)
    {
        return CliErrors.Failure(e);
    }
    catch (OperationCanceledException)
    {
        Console.Error.WriteLine(CliErrors.RankPrefix + "cancelled.");
        return 130;
    }
    catch (Exception e)
    {
        return CliErrors.Unexpected(e);
    }
}

// A rank of a data-parallel job (holdout train under mpirun) that fails ends the whole job: the other ranks would wait
// for it in their next collective for ever. One that succeeds leaves MPI in order.
static int LeaveJob(int exitCode)
{
    var group = Holdout.Distributed.ProcessGroup.Current;
    if (group.Size > 1)
    {
        if (exitCode != 0) group.Abort(exitCode);
        group.Dispose();
    }
    return exitCode;
}

// One command: its name, its line in the help and the example command lines shown under it.
static void Add<TCommand>(IConfigurator config, string name, string description, params string[][] examples) where TCommand : class, ICommand
{
    var command = config.AddCommand<TCommand>(name).WithDescription(description);
    foreach (var example in examples)
    {
        command.WithExample(example);
    }
}
