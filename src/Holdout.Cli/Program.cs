using Holdout;
using Holdout.Cli;
using Holdout.Cli.Commands;
using Spectre.Console.Cli;

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
    config.AddCommand<TrainCommand>("train")
        .WithDescription("Train a classifier on a folder of images (default: the sample in samples/beans) and evaluate it on held-out images.")
        .WithExample("train")
        .WithExample("train", "photos/", "--model", "resnet18", "--epochs", "8")
        .WithExample("train", "--resume", "runs/20261129-101500-resnet18");
    config.AddCommand<EvaluateCommand>("evaluate")
        .WithDescription("Evaluate a run's best model on its test split (or --split, or --data with the same classes): accuracy, loss, per-class metrics, confusion, ROC-AUC, calibration.")
        .WithExample("evaluate", "runs/20261129-101500-resnet18")
        .WithExample("evaluate", "runs/20261129-101500-resnet18", "--data", "more-photos/", "--json");
    config.AddCommand<PredictCommand>("predict")
        .WithDescription("Classify images, folders or CSV manifests with a run's best model (or a .holdout bundle); unreadable files are reported and the rest predicted.")
        .WithExample("predict", "runs/20261129-101500-resnet18", "photo.jpg")
        .WithExample("predict", "model.holdout", "photos/", "--json", "--tta");
    config.AddCommand<ReportCommand>("report")
        .WithDescription("Rebuild a run's self-contained report.html from its folder and print its path.");
    config.AddCommand<LrFindCommand>("lr-find")
        .WithDescription("Learning-rate range test: loss against a rising learning rate, plotted, with a suggested --lr.");
    config.AddCommand<SplitCommand>("split")
        .WithDescription("Split a dataset into train/val/test (stratified, seeded, duplicates kept together) and write split.csv.");
    config.AddCommand<PreviewCommand>("preview")
        .WithDescription("Write a grid PNG of the exact images one training batch feeds the model, with labels.");
    config.AddCommand<DoctorCommand>("doctor")
        .WithDescription("Name why a model is good on training data and bad on validation data: data, pipeline, model and learning-curve checks with evidence and fixes.")
        .WithExample("doctor", "photos/")
        .WithExample("doctor", "photos/", "--run", "runs/20261129-101500-resnet18", "--deep");
    config.AddCommand<EnvCommand>("env")
        .WithDescription("Show the .NET runtime, engine versions, threads, native loading and offline pretrained models.");
});

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
    Console.Error.WriteLine("cancelled.");
    return 130;
}
catch (Exception e)
{
    return CliErrors.Unexpected(e);
}
