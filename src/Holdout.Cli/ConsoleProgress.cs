using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Cli;

/// <summary>
/// Shows training progress. On a terminal: a live bar per epoch with step count, ETA, s/step and running metrics;
/// otherwise (CI, pipes): one plain Keras line per epoch. Other messages (checkpoints, phases) go through
/// <see cref="WriteLine"/> so they interleave correctly with the bars.
/// </summary>
internal sealed class ConsoleProgress : Callback
{
    private readonly ProgressContext? _live;
    private ProgressTask? _task;
    private int _steps;

    private ConsoleProgress(ProgressContext? live) => _live = live;

    /// <summary>Whether stdout is an interactive terminal that can show live bars.</summary>
    public static bool IsLiveTerminal => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/> with a progress callback suited to the output.</summary>
    public static T Run<T>(Func<ConsoleProgress, T> work)
    {
        if (!IsLiveTerminal) return work(new ConsoleProgress(null));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => result = work(new ConsoleProgress(context)));
        return result;
    }

    /// <summary>Writes a message line above the bars (or plainly).</summary>
    public void WriteLine(string line)
    {
        if (_live is null) Console.WriteLine(line);
        else AnsiConsole.MarkupLine(Markup.Escape(line));
    }

    public override void OnEpochBegin(TrainingContext context, int epoch)
    {
        _steps = 0;
        _task = _live?.AddTask(Markup.Escape($"Epoch {epoch}/{context.PlannedEpochs} ({context.Phase})"), maxValue: 1);
    }

    public override void OnBatchEnd(TrainingContext context, BatchLogs logs)
    {
        _steps = logs.Steps;
        if (_task is null) return;
        var c = CultureInfo.InvariantCulture;
        _task.MaxValue = logs.Steps;
        _task.Value = logs.Step;
        _task.Description = Markup.Escape(
            $"Epoch {logs.Epoch}/{context.PlannedEpochs} {logs.Step}/{logs.Steps} {logs.StepTime}/step " +
            $"loss {logs.Loss.ToString("0.0000", c)} acc {logs.Accuracy.ToString("0.0000", c)}{TimeLeft(context)}");
    }

    public override void OnEpochEnd(TrainingContext context, EpochLogs logs)
    {
        if (_task is not null)
        {
            _task.Value = _task.MaxValue;
            _task.StopTask();
        }
        WriteLine(logs.ToKerasLine(context.PlannedEpochs, _steps) + TimeLeft(context));
    }

    /// <summary>With a budget, the time left for the whole run (final evaluation included), e.g. <c> - run: 2m05s left</c>.</summary>
    private static string TimeLeft(TrainingContext context)
    {
        if (context.Deadline is not { } deadline) return "";
        var left = deadline - DateTimeOffset.Now;
        return left <= TimeSpan.Zero ? " - run: budget reached" : $" - run: {(int)left.TotalMinutes}m{left.Seconds:00}s left";
    }
}
