using System.Diagnostics;
using Holdout.Runs;
using Holdout.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Training;

[Collection(NativeCollection.Name)]
public sealed class TrainerTests
{
    [Fact]
    public void Should_lower_the_loss_and_log_keras_metrics_every_epoch()
    {
        // Given separable blobs and a small model
        using var train = TinyData.Source(256, seed: 1, shuffle: true);
        using var validation = TinyData.Source(64, seed: 2, shuffle: false);
        using var model = TinyData.Model(3);
        using var trainer = new Trainer(model);

        // When it trains for 5 epochs
        var history = trainer.Fit(train, validation, TinyData.Phase(model, 5));

        // Then every epoch has all metrics, the loss fell and validation accuracy is well above chance
        Assert.Equal(5, history.Epochs.Count);
        Assert.Equal([1, 2, 3, 4, 5], history.Epochs.Select(e => e.Epoch));
        Assert.True(history.Epochs[^1].Loss < history.Epochs[0].Loss);
        Assert.True(history.Epochs[^1].ValAccuracy > 0.8, $"val_acc {history.Epochs[^1].ValAccuracy}");
        Assert.All(history.Epochs, e => Assert.True(double.IsFinite(e.ValLoss) && e.LearningRate > 0 && e.Seconds >= 0));
    }

    [Fact]
    public void Should_give_the_same_history_for_the_same_seed()
    {
        // Given two identical set-ups with one seed
        List<EpochRecord> Run()
        {
            using var train = TinyData.Source(128, seed: 5, shuffle: true);
            using var validation = TinyData.Source(32, seed: 6, shuffle: false);
            using var model = TinyData.Model(7);
            using var trainer = new Trainer(model, new TrainingOptions(Seed: 11));
            return [.. trainer.Fit(train, validation, TinyData.Phase(model, 3, schedule: ScheduleKind.OneCycle)).Epochs];
        }

        // When both run; Then the histories are identical (but for wall-clock seconds)
        var first = Run();
        var second = Run();
        Assert.Equal(first.Select(e => e with { Seconds = 0 }), second.Select(e => e with { Seconds = 0 }));
    }

    [Fact]
    public void Should_stop_early_on_a_plateau_and_restore_the_best_weights()
    {
        // Given training data the model can learn, and validation labels it cannot predict (val_loss will not improve for long)
        using var train = TinyData.Source(256, seed: 1, shuffle: true);
        using var validation = TinyData.Source(64, seed: 9, shuffle: false, randomLabels: true);
        using var model = TinyData.Model(3);
        var stopping = new EarlyStopping(patience: 1);
        using var trainer = new Trainer(model, callbacks: [stopping]);

        // When it trains for up to 40 epochs at a high learning rate
        var history = trainer.Fit(train, validation, TinyData.Phase(model, 40, lr: 0.05));

        // Then it stopped long before 40 epochs, and the model now has the best epoch's weights
        Assert.True(history.Epochs.Count < 40, $"ran {history.Epochs.Count} epochs");
        Assert.True(trainer.Context.StopTraining);
        Assert.Contains("early stopping", trainer.Context.StopReason);
        var best = history.Epochs.MinBy(e => e.ValLoss)!;
        Assert.Equal(best.Epoch, stopping.BestEpoch);
        Assert.NotEqual(history.Epochs.Count, best.Epoch);
        var now = Evaluator.Predict(model, validation);
        Assert.Equal(best.ValLoss, now.Loss, 5);
    }

    [Fact]
    public void Should_continue_a_resumed_run_exactly_as_an_uninterrupted_one()
    {
        // Given an uninterrupted 4-epoch run
        var folder = Directory.CreateTempSubdirectory("holdout-resume-").FullName;
        using var train = TinyData.Source(128, seed: 1, shuffle: true);
        using var validation = TinyData.Source(32, seed: 2, shuffle: false);
        var options = new TrainingOptions(Seed: 3);
        List<EpochRecord> full;
        using (var model = TinyData.Model(4))
        using (var trainer = new Trainer(model, options, [new EarlyStopping(patience: 10)]))
            full = [.. trainer.Fit(train, validation, TinyData.Phase(model, 4, schedule: ScheduleKind.OneCycle)).Epochs];

        // When another run stops after 2 epochs (weights, optimiser and callback state saved) and a fresh process resumes it
        var weights = Path.Combine(folder, "w.bin");
        var optimizer = Path.Combine(folder, "opt.bin");
        System.Text.Json.Nodes.JsonObject state;
        List<EpochRecord> firstHalf;
        using (var model = TinyData.Model(4))
        using (var trainer = new Trainer(model, options, [new EarlyStopping(patience: 10), new StopAfter(2)]))
        {
            firstHalf = [.. trainer.Fit(train, validation, TinyData.Phase(model, 4, schedule: ScheduleKind.OneCycle)).Epochs];
            model.save(weights);
            trainer.SaveOptimizerState(optimizer);
            state = trainer.SaveCallbackState();
        }
        List<EpochRecord> resumed;
        using (var model = TinyData.Model(99))
        {
            model.load(weights);
            using var trainer = new Trainer(model, options, [new EarlyStopping(patience: 10), new StopAfter(int.MaxValue)]);
            trainer.Restore(state, firstHalf);
            resumed = [.. trainer.FitResuming(train, validation, TinyData.Phase(model, 4, schedule: ScheduleKind.OneCycle), new PhaseResume(2, optimizer), CancellationToken.None).Epochs];
        }

        // Then the resumed history equals the uninterrupted one
        Assert.Equal(2, firstHalf.Count);
        Assert.Equal(full.Select(e => e with { Seconds = 0 }), resumed.Select(e => e with { Seconds = 0 }));
    }

    [Fact]
    public void Should_keep_native_and_process_memory_flat_over_200_batches()
    {
        // Given a small conv model and a source of 200 batches per epoch
        torch.manual_seed(1);
        using var images = torch.randn(16, 3, 16, 16);
        using var labels = torch.randint(0, 2, [16], dtype: ScalarType.Int64);
        using var repeated = images.repeat(200, 1, 1, 1);
        using var repeatedLabels = labels.repeat(200);
        using var train = new Holdout.Data.TensorBatchSource(repeated, repeatedLabels, 16, shuffle: true, seed: 1);
        using var model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2));
        using var trainer = new Trainer(model);
        var phase = TinyData.Phase(model, 1);

        // When it trains one epoch (warm-up), then two more while we measure
        trainer.Fit(train, null, phase);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var statsBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long rssBefore = Process.GetCurrentProcess().WorkingSet64;
        trainer.Fit(train, null, phase with { Epochs = 2 });
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var statsAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long rssAfter = Process.GetCurrentProcess().WorkingSet64;

        // Then no tensors were left alive by the 400 batches and the resident memory did not grow meaningfully
        Assert.Equal(3, trainer.History.Epochs.Count);
        Assert.InRange(statsAfter - statsBefore, -5, 5);
        Assert.True(rssAfter - rssBefore < 64L << 20, $"RSS grew by {(rssAfter - rssBefore) >> 20} MB");
    }

    /// <summary>Stops training after a given number of completed epochs (simulates an interrupted run).</summary>
    private sealed class StopAfter(int epochs) : Callback
    {
        public override void OnEpochEnd(TrainingContext context, EpochLogs logs)
        {
            if (logs.Epoch >= epochs) context.StopTraining = true;
        }
    }
}
