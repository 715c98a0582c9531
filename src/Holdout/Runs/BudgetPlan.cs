using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Holdout.Data;
using Holdout.Models;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// How a run fits its wall-time budget (<see cref="TrainRunOptions.Budget"/>), like ML.NET Model Builder's "time to
/// train": the epochs of the phase that trains over images are chosen from measured throughput so that the run, its
/// final evaluation included, ends at the budget; <see cref="Stop"/> then ends training gracefully if the estimate was
/// short. What the budget bought is recorded in <c>summary.json</c> and the log.
/// </summary>
/// <remarks>
/// The estimate: an evaluation pass costs what the probe cost per image (decoding included, measured by the probe
/// itself, or by one batch when there is no probe); a training image costs that pass's decoding plus the model's
/// timed training step (forward and backward at the run's precision, batch and size) per image. An epoch trains every
/// training image once and evaluates the validation images; the final evaluation predicts every split once and the
/// validation split again at the FixRes candidate size.
/// </remarks>
internal sealed class BudgetPlan
{
    /// <summary>The most epochs a budget plans for the phase it fills: beyond that early stopping ends runs anyway.</summary>
    internal const int MaxEpochs = 40;

    /// <summary>The share of the budget kept free for what the estimate misses (start-up, report, checkpoint writes).</summary>
    internal const double Margin = 0.04;

    private BudgetPlan(TimeSpan budget, int epochs, double epochSeconds, double finalSeconds, double evalImageSeconds, double trainImageSeconds, double plannedAt)
    {
        Budget = budget;
        Epochs = epochs;
        EpochSeconds = epochSeconds;
        PlannedEpochSeconds = epochSeconds;
        FinalSeconds = finalSeconds;
        EvalImageSeconds = evalImageSeconds;
        TrainImageSeconds = trainImageSeconds;
        PlannedAt = plannedAt;
    }

    /// <summary>The budget.</summary>
    public TimeSpan Budget { get; }

    /// <summary>The epochs planned for the phase the budget fills (0: it buys nothing beyond what ran before).</summary>
    public int Epochs { get; private set; }

    /// <summary>The estimated seconds of one epoch of that phase (then the last whole epoch's measured length).</summary>
    public double EpochSeconds { get; private set; }

    /// <summary>The estimated seconds of one epoch when the plan was made.</summary>
    public double PlannedEpochSeconds { get; }

    /// <summary>The estimated seconds of the final evaluation.</summary>
    public double FinalSeconds { get; }

    /// <summary>Estimated seconds per image of an evaluation pass (decoding included).</summary>
    public double EvalImageSeconds { get; }

    /// <summary>Estimated seconds per image of a training epoch (decoding included).</summary>
    public double TrainImageSeconds { get; }

    /// <summary>The estimated seconds of one validation pass.</summary>
    public double ValidationSeconds { get; private init; }

    /// <summary>Seconds into the run when the plan was made.</summary>
    public double PlannedAt { get; }

    /// <summary>
    /// Plans the epochs of the phase that trains over images, at <paramref name="elapsed"/> seconds into the run.
    /// </summary>
    /// <param name="setup">The run's setup (model, loaders, precision).</param>
    /// <param name="budget">The budget.</param>
    /// <param name="elapsed">Seconds of the run so far (start-up, split, the probe).</param>
    /// <param name="evalImageSeconds">Seconds per image of an evaluation pass as measured so far (the probe's), or null to time one batch.</param>
    /// <param name="maxEpochs">The most epochs to plan (the user's --epochs, or <see cref="MaxEpochs"/>).</param>
    /// <param name="cancellationToken">Stops the timing.</param>
    public static BudgetPlan Make(RunSetup setup, TimeSpan budget, double elapsed, double? evalImageSeconds, int maxEpochs, CancellationToken cancellationToken = default)
    {
        var split = setup.Split;
        int train = split.Samples(DataSplit.Train).Count, validation = split.Samples(DataSplit.Validation).Count, test = split.Samples(DataSplit.Test).Count;
        var batch = setup.Options.BatchSize;
        var size = setup.Options.EffectiveImageSize;
        // Timed now, not taken from the precision cache: a cached timing may have been measured on a busier machine.
        var stepSeconds = PrecisionChoices.TimeStep(setup.Model, PrecisionWorkload.Training, batch, size);
        var forwardSeconds = PrecisionChoices.TimeStep(setup.Model, PrecisionWorkload.Inference, batch, size);
        var evalImage = evalImageSeconds ?? TimeEvaluationBatch(setup, cancellationToken);
        // Decoding and preparing an image costs what the probe's pass cost beyond the model's forward pass.
        var decode = Math.Max(0, evalImage - forwardSeconds / batch);
        var trainImage = stepSeconds / batch + decode;
        var epoch = train * trainImage + validation * evalImage;
        var fixRes = setup.Options.FixResEvalSize(setup.Preprocessing.EvalResize, setup.Preprocessing.EvalCrop);
        var final = (train + validation + test) * evalImage + validation * evalImage * Math.Pow((double)fixRes / size, 2);
        var epochs = EpochsThatFit(budget.TotalSeconds, elapsed, epoch, final, maxEpochs);
        return new BudgetPlan(budget, epochs, epoch, final, evalImage, trainImage, elapsed) { ValidationSeconds = validation * evalImage };
    }

    /// <summary>
    /// How many epochs of <paramref name="epochSeconds"/> fit in what the budget leaves after <paramref name="elapsed"/>,
    /// the final evaluation and the <see cref="Margin"/>, from 0 to <paramref name="maxEpochs"/>, rounded to the nearest:
    /// an epoch is a large share of a short budget, and the last one, at the one-cycle schedule's near-zero rate, loses
    /// little when <see cref="Stop"/> cuts it short to leave the final evaluation its time.
    /// </summary>
    internal static int EpochsThatFit(double budgetSeconds, double elapsed, double epochSeconds, double finalSeconds, int maxEpochs)
    {
        var left = budgetSeconds * (1 - Margin) - elapsed - finalSeconds;
        return epochSeconds > 0 ? (int)Math.Clamp(Math.Round(left / epochSeconds, MidpointRounding.AwayFromZero), 0, maxEpochs) : 0;
    }

    /// <summary>A plan from given estimates (tests).</summary>
    internal static BudgetPlan FromEstimates(TimeSpan budget, int epochs, double epochSeconds, double validationSeconds, double finalSeconds) =>
        new(budget, epochs, epochSeconds, finalSeconds, 0, 0, 0) { ValidationSeconds = validationSeconds };

    /// <summary>One line for the log: what the budget will buy.</summary>
    public string Describe(string phase, int imageSize)
    {
        var inv = CultureInfo.InvariantCulture;
        var bought = Epochs == 0 ? $"no epoch of '{phase}' fits" : $"{Epochs} epochs of '{phase}'";
        return $"Budget {Budgets.Format(Budget)}: {bought} at {imageSize} px " + string.Create(inv,
            $"(estimates: {EpochSeconds:0} s an epoch, {TrainImageSeconds * 1000:0} ms a training image, {EvalImageSeconds * 1000:0} ms an evaluated image, {FinalSeconds:0} s for the final evaluation; {PlannedAt:0} s spent before the plan)");
    }

    /// <summary>The plan and what it bought, for <c>summary.json</c>.</summary>
    public JsonObject ToJson(double usedSeconds, int epochsRun, string? stopReason) => new()
    {
        ["seconds"] = Budget.TotalSeconds,
        ["used_seconds"] = usedSeconds,
        ["planned_epochs"] = Epochs,
        ["epochs_run"] = epochsRun,
        ["estimated_epoch_seconds"] = PlannedEpochSeconds,
        ["estimated_final_seconds"] = FinalSeconds,
        ["planned_at_seconds"] = PlannedAt,
        ["stopped_by_budget"] = stopReason is not null && stopReason.StartsWith("the budget", StringComparison.Ordinal),
    };

    /// <summary>Takes rank 0's planned epochs: each rank timed its own steps, and the ranks must train the same epochs.</summary>
    /// <param name="group">The ranks.</param>
    public void AgreeWithRoot(Distributed.ProcessGroup group) => Epochs = (int)group.Broadcast(Epochs);

    /// <summary>
    /// The callback that keeps a run inside its budget: before an epoch of which not even half would fit (by the last
    /// epoch's measured length), and in the middle of one when the final evaluation would no longer fit, it stops
    /// training; the best weights so far are kept and evaluated as usual. In a data-parallel run rank 0's decision
    /// holds on every rank (the trainer shares it).
    /// </summary>
    /// <param name="usedSeconds">Seconds of the budget used so far (earlier sessions of a resumed run included).</param>
    public Callback Stop(Func<double> usedSeconds) => new BudgetStop(this, usedSeconds);

    private static double TimeEvaluationBatch(RunSetup setup, CancellationToken cancellationToken)
    {
        var samples = setup.Split.Samples(DataSplit.Validation).Concat(setup.Split.Samples(DataSplit.Train)).Take(setup.Options.BatchSize).ToList();
        if (samples.Count == 0) return 0;
        var loader = setup.Evaluation(samples);
        Evaluator.Predict(setup.Model, loader, setup.Loss, cancellationToken: cancellationToken); // warm-up: first use
        var clock = Stopwatch.StartNew();
        Evaluator.Predict(setup.Model, loader, setup.Loss, cancellationToken: cancellationToken);
        return clock.Elapsed.TotalSeconds / samples.Count;
    }

    private sealed class BudgetStop(BudgetPlan plan, Func<double> usedSeconds) : Callback
    {
        private double Used => usedSeconds();

        public override void OnBatchEnd(TrainingContext context, BatchLogs logs)
        {
            if (context.StopTraining || Used + plan.ValidationSeconds + plan.FinalSeconds < plan.Budget.TotalSeconds) return;
            context.StopTraining = true;
            context.StopReason = string.Create(CultureInfo.InvariantCulture,
                $"the budget of {Budgets.Format(plan.Budget)} ran out during epoch {logs.Epoch} (step {logs.Step} of {logs.Steps}); the final evaluation needs the rest");
        }

        public override void OnEpochEnd(TrainingContext context, EpochLogs logs)
        {
            if (context.StopTraining || context.CompletedEpochs >= context.PlannedEpochs) return;
            if (logs.Contains("seconds")) plan.EpochSeconds = logs["seconds"]; // a whole epoch's measured length
            // Half an epoch must fit: the planner rounds to the nearest epoch, and the batch check cuts the last one short.
            if (Used + plan.EpochSeconds / 2 + plan.FinalSeconds <= plan.Budget.TotalSeconds) return;
            context.StopTraining = true;
            context.StopReason = string.Create(CultureInfo.InvariantCulture,
                $"the budget of {Budgets.Format(plan.Budget)} leaves no time for half of another {plan.EpochSeconds:0} s epoch before the final evaluation");
        }
    }
}

/// <summary>Wall-time budgets (<see cref="TrainRunOptions.Budget"/>) as people write them: <c>90s</c>, <c>10m</c>, <c>1h30m</c>.</summary>
public static class Budgets
{
    /// <summary>A budget as people write it: <c>90s</c>, <c>10m</c>, <c>1h30m</c>.</summary>
    /// <param name="budget">The budget.</param>
    public static string Format(TimeSpan budget) =>
        budget.TotalHours >= 1 ? $"{(int)budget.TotalHours}h{(budget.Minutes > 0 ? $"{budget.Minutes}m" : "")}"
        : budget.TotalMinutes >= 1 ? $"{(int)budget.TotalMinutes}m{(budget.Seconds > 0 ? $"{budget.Seconds}s" : "")}"
        : $"{(int)budget.TotalSeconds}s";

    /// <summary>
    /// Parses a budget: a number with a unit, <c>s</c>, <c>m</c> or <c>h</c>, or several (<c>1h30m</c>); decimals allowed (<c>2.5m</c>).
    /// </summary>
    /// <param name="text">What the user wrote.</param>
    /// <exception cref="HoldoutException">The text is not such a duration.</exception>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var matches = System.Text.RegularExpressions.Regex.Matches(text.Trim().ToLowerInvariant(), @"(\d+(?:\.\d+)?)\s*([hms])");
        var joined = string.Concat(matches.Select(m => m.Value));
        if (matches.Count == 0 || joined.Replace(" ", "", StringComparison.Ordinal) != text.Trim().ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal))
            throw new HoldoutException($"--budget '{text}' is not a duration. Expected a number with a unit: 90s, 10m, 1h or 1h30m.");
        double seconds = 0;
        foreach (System.Text.RegularExpressions.Match m in matches)
        {
            var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            seconds += m.Groups[2].Value switch { "h" => value * 3600, "m" => value * 60, _ => value };
        }
        return TimeSpan.FromSeconds(seconds);
    }

}
