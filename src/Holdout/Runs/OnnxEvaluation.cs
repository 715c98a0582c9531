using System.Diagnostics;
using Holdout.Metrics;
using Holdout.Inference;
using Holdout.Models;
using Holdout.Training;

namespace Holdout.Runs;

/// <summary>
/// <c>holdout evaluate model.onnx --data DATA</c> as a library call: an ONNX file written by <c>holdout export</c>,
/// evaluated on labelled images with the same discovery, class check, metrics and result type as
/// <see cref="RunEvaluation.Evaluate"/> gives for a run, the predictions computed by ONNX Runtime through
/// <see cref="Predictor"/>.
/// </summary>
public static class OnnxEvaluation
{
    /// <summary>
    /// Evaluates an exported ONNX file on the given images: the same discovery, class check, metrics and result as for
    /// a bundle, with the probabilities from ONNX Runtime (float32) and the loss the plain
    /// <see cref="ClassificationLoss"/> of those probabilities (the file carries no class weights or label smoothing).
    /// </summary>
    /// <param name="options">The ONNX file (<see cref="RunEvaluationOptions.Run"/>), the images, batch size and workers.</param>
    /// <param name="cancellationToken">Stops decoding and prediction between batches.</param>
    /// <exception cref="HoldoutException">The file or data cannot be read, no data was given, a precision other than
    /// float32 was asked for, or an image cannot be classified.</exception>
    public static RunEvaluationResult Evaluate(RunEvaluationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!File.Exists(options.Run))
            throw new HoldoutException($"The ONNX file '{options.Run}' does not exist. Pass a file written by 'holdout export', or the run folder to evaluate its best.holdout.");
        if (options.Data is null)
            throw new HoldoutException($"'{options.Run}' is an exported ONNX model, which does not know its test images. Pass the images to evaluate with --data DATA " +
                                       "(the run's split.csv evaluates its test split), or pass the run folder it was exported from instead.");
        if (options.Precision is { } precision && precision != Precision.Fp32)
            throw new HoldoutException($"--precision {OptionNames.Of(precision)} does not apply to the ONNX file '{options.Run}': ONNX Runtime runs it in float32. Leave out --precision.");
        var clock = Stopwatch.StartNew();
        using var predictor = Predictor.Load(options.Run, new PredictorOptions(options.BatchSize ?? new TrainRunOptions().BatchSize, options.Workers));
        var classes = predictor.ClassNames;
        var (samples, source, split, skipped) = RunEvaluation.GivenData(options.Data, options.Split, options.Workers, classes, cancellationToken);
        var results = predictor.Predict(samples.Select(s => s.Path), cancellationToken).ToList();
        if (results.FirstOrDefault(r => r.Error is not null) is { } failed)
            throw new HoldoutException($"ONNX Runtime could not classify '{failed.Path}': {failed.Error}. Remove the file from the data or replace it, then evaluate again.");
        var labels = samples.Select(s => s.Label).ToArray();
        var probabilities = results.Select(r => r.Probabilities!).ToArray();
        using var plain = new ClassificationLoss();
        var (sampleLosses, loss) = plain.OfProbabilities(labels, probabilities);
        var predictions = new Predictions(probabilities, labels, loss, clock.Elapsed.TotalSeconds) { SampleLosses = sampleLosses };
        var metrics = predictions.Metrics(classes);
        return new RunEvaluationResult(options.Run, null, source, split, [.. samples.Select(x => x.Path)], predictions, metrics, skipped);
    }

}
