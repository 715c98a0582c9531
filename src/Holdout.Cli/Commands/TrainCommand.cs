using Holdout.Data;
using Holdout.Models;
using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Cli.Commands;

/// <summary><c>holdout train [DATA]</c>: the main job.</summary>
internal sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : SampleDataSettings
    {
        [CommandOption("--recipe <RECIPE>")]
        [Description("fine-tune (head first, then all layers with discriminative learning rates), frozen (head only) or scratch. Default: fine-tune with pretrained weights, scratch without.")]
        public string? Recipe { get; init; }

        [CommandOption("--epochs <N>")]
        [Description("Total epochs, freeze epochs included. Default: 6 for fine-tune (the probe, then five all-layers epochs), 5 for frozen and scratch.")]
        public int? Epochs { get; init; }

        [CommandOption("--no-probe")]
        [Description("Train the head by --freeze-epochs epochs over (augmented) images (fastai's fine_tune) instead of the default linear probe: the head fitted to convergence on the frozen backbone's cached features before every layer trains (LP-FT).")]
        public bool NoProbe { get; init; }

        [CommandOption("--freeze-epochs <N>")]
        [Description("fine-tune with --no-probe: epochs that train only the head before everything is unfrozen.")]
        [DefaultValue(1)]
        public int FreezeEpochs { get; init; } = 1;

        [CommandOption("--lr-mult <X>")]
        [Description("fine-tune: the earliest layers train at lr / X, rising to lr at the head (fastai: 100).")]
        [DefaultValue(100.0)]
        public double LearningRateMultiplier { get; init; } = 100;

        [CommandOption("--lr <RATE>")]
        [Description("Peak learning rate of the head. Default: 1e-3 (2e-3 for simple-cnn). 'holdout lr-find' suggests one.")]
        public double? LearningRate { get; init; }

        [CommandOption("--patience <N>")]
        [Description("Early stopping: epochs without improvement of --monitor before stopping (0 = off). The best weights are restored.")]
        [DefaultValue(3)]
        public int Patience { get; init; } = 3;

        [CommandOption("--monitor <METRIC>")]
        [Description("The metric early stopping and the best checkpoint watch: val_loss or val_acc.")]
        [DefaultValue("val_loss")]
        public string Monitor { get; init; } = "val_loss";

        [CommandOption("--optimizer <NAME>")]
        [Description("adam, adam-w or sgd.")]
        [DefaultValue("adam")]
        public string Optimizer { get; init; } = "adam";

        [CommandOption("--schedule <NAME>")]
        [Description("one-cycle, cosine or constant.")]
        [DefaultValue("one-cycle")]
        public string Schedule { get; init; } = "one-cycle";

        [CommandOption("--weight-decay <X>")]
        [DefaultValue(0.0)]
        public double WeightDecay { get; init; }

        [CommandOption("--label-smoothing <X>")]
        [DefaultValue(0.0)]
        public double LabelSmoothing { get; init; }

        [CommandOption("--class-weights")]
        [Description("Weight the loss by inverse class frequency (imbalanced data).")]
        public bool ClassWeights { get; init; }

        [CommandOption("--train-bn")]
        [Description("Let BatchNorm layers of a frozen backbone keep training (fastai's train_bn); the same as --batch-norm train-batch-norm.")]
        public bool TrainBatchNorm { get; init; }

        [CommandOption("--batch-norm <MODE>")]
        [Description("What the backbone's BatchNorm layers do in training: always-eval (pretrained statistics throughout, Keras's advice for fine-tuning), frozen-stays-in-eval (statistics of the batch once a stage is unfrozen) or train-batch-norm (fastai's train_bn). Default: always-eval for fine-tune, frozen-stays-in-eval otherwise")]
        public string? BatchNorm { get; init; }

        [CommandOption("--eval-size <PX>")]
        [Description("Side in pixels at which validation, test and prediction images are evaluated after training. Default: chosen on validation loss between --image-size and the larger size at which objects look as big as in the training crops (FixRes: 256 for 224 with --augment standard); recorded in best.holdout.")]
        public int? EvalSize { get; init; }

        [CommandOption("--fine-tune-gate <ACC>")]
        [Description("fine-tune: when the linear probe already classifies at least this share of the validation images correctly (with 100 or more of them), skip the all-layers epochs and keep the probe: they cost several times the probe for at most the rest. From 0.97 on, the first all-layers epoch must beat the probe's validation loss, or fine-tuning stops there and the probe is kept. 'off' runs every epoch.")]
        [DefaultValue("0.99")]
        public string FineTuneGate { get; init; } = "0.99";

        [CommandOption("--budget <TIME>")]
        [Description("Fit the whole run (probe, epochs, final evaluation) into a wall-time budget such as 90s, 10m or 1h: the epochs of the last phase are planned from the measured throughput (--epochs, if given, is the most), training stops gracefully when the time runs out, and the log and summary.json say what the budget bought. Default: none, except 100s (with at most the default epochs) when training the bundled sample with neither --budget nor --epochs.")]
        public string? Budget { get; init; }

        [CommandOption("--drop-last")]
        [Description("Drop the last partial training batch.")]
        public bool DropLast { get; init; }

        [CommandOption("--strict")]
        [Description("Unreadable images are an error instead of being skipped and reported.")]
        public bool Strict { get; init; }

        [CommandOption("--out <FOLDER>")]
        [Description("The run folder. Default: runs/<time>-<model>.")]
        public string? Out { get; init; }

        [CommandOption("--resume <RUN>")]
        [Description("Continue an interrupted run from its last checkpoint, with its own options.")]
        public string? Resume { get; init; }

        protected override TrainRunOptions CompleteTraining(TrainRunOptions shared) => shared with
        {
            Recipe = Recipe is null ? null : OptionNames.Parse<RecipeKind>("--recipe", Recipe),
            FreezeEpochs = FreezeEpochs,
            LearningRateMultiplier = LearningRateMultiplier,
            LearningRate = LearningRate,
            Patience = Patience,
            Monitor = Monitor,
            Out = Out,
            Optimizer = OptionNames.Parse<OptimizerKind>("--optimizer", Optimizer),
            Schedule = OptionNames.Parse<ScheduleKind>("--schedule", Schedule),
            WeightDecay = WeightDecay,
            LabelSmoothing = LabelSmoothing,
            ClassWeights = ClassWeights,
            TrainBatchNorm = TrainBatchNorm,
            BatchNorm = BatchNorm is null ? null : OptionNames.Parse<BatchNormPolicy>("--batch-norm", BatchNorm),
            Strict = Strict,
            DropLast = DropLast,
            Probe = !NoProbe,
            EvalImageSize = EvalSize,
            FineTuneGate = ParseGate(FineTuneGate),
            Budget = Budget is not null ? Budgets.Parse(Budget) : UsesSampleDefaults(shared) ? SampleBudget : null,
            Epochs = Epochs ?? (Budget is null && UsesSampleDefaults(shared) ? new TrainRunOptions().EffectiveEpochs : null),
        };

        /// <summary>
        /// The budget of the first run, <c>holdout train</c> on the bundled sample without --budget or --epochs: build and
        /// run within about two minutes on a 2-core machine. The default epochs stay the most it plans, so a fast machine
        /// ends early and a slow one fits fewer epochs in. Shorter budgets bought too few all-layers epochs to beat the
        /// probe (see docs/defaults-study.md).
        /// </summary>
        internal static readonly TimeSpan SampleBudget = TimeSpan.FromSeconds(100);

        private bool UsesSampleDefaults(TrainRunOptions shared) => shared.Data is null && Budget is null && Epochs is null && Resume is null;

        private static double? ParseGate(string value) =>
            string.Equals(value, "off", StringComparison.OrdinalIgnoreCase) ? null
            : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var gate) ? gate
            : throw new HoldoutException($"--fine-tune-gate '{value}' is not a validation accuracy such as 0.99, or 'off'.");
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // Started by mpirun as one of several ranks: join the job (nothing is loaded otherwise).
        var group = Holdout.Distributed.ProcessGroup.JoinFromEnvironment();
        if (group.Size > 1) CliErrors.RankPrefix = $"rank {group.Rank} of {group.Size}: ";
        using var imageSettings = settings.UseImageSettings();
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Ctrl-C (SIGINT) stops between batches and leaves the run resumable; a second one ends the process at once.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (interrupt.IsCancellationRequested) return;
            e.Cancel = true;
            Console.Error.WriteLine("Stopping after the current batch (Ctrl-C again quits at once; the last completed epoch stays resumable either way).");
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            if (!group.IsRoot)
            {
                // The other ranks train silently: rank 0 shows the progress and writes the run folder.
                _ = settings.Resume is not null
                    ? TrainingRun.Resume(settings.Resume, null, interrupt.Token)
                    : TrainingRun.Start(settings.ToOptions(), null, interrupt.Token);
                return 0;
            }
            var result = ConsoleProgress.Run(progress =>
            {
                var hooks = new TrainingRunHooks(progress, progress.WriteLine, "holdout " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
                return settings.Resume is not null
                    ? TrainingRun.Resume(settings.Resume, hooks, interrupt.Token)
                    : TrainingRun.Start(settings.ToOptions(), hooks, interrupt.Token);
            });
            RenderSummary(result);
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static void RenderSummary(TrainingRunResult result)
    {
        var c = CultureInfo.InvariantCulture;
        var table = new Table().Border(TableBorder.Rounded).Title("Result (best weights)").AddColumn("split").AddColumn("images").AddColumn("loss").AddColumn("accuracy");
        foreach (var (split, metrics) in result.Metrics.OrderBy(kv => kv.Key))
            table.AddRow(split.ToString().ToLowerInvariant(), metrics.SampleCount.ToString(c), metrics.Loss.ToString("0.0000", c), metrics.Accuracy.ToString("0.0000", c));
        AnsiConsole.Write(table);
        if (result.Metrics.TryGetValue(DataSplit.Test, out var test))
            Console.WriteLine($"test accuracy: {test.Accuracy.ToString("0.0000", c)} (macro-F1 {test.MacroF1.ToString("0.0000", c)}) on {test.SampleCount} held-out images");
        Console.WriteLine($"run folder: {result.Folder}");
    }
}
