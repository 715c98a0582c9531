using Holdout.Data;
using Holdout.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Training;

/// <summary>
/// Every loss Holdout shows is the run's <see cref="ClassificationLoss"/>: the training table's val_loss (an
/// evaluation pass on logits), the metrics of summary.json and report.html, and the evaluation of an exported ONNX
/// file or of a run's predictions.csv (probabilities only). With label smoothing and class weights these used to be
/// three formulas that disagreed.
/// </summary>
public sealed class OneLossTests
{
    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.1, false)]
    [InlineData(0.0, true)]
    [InlineData(0.2, true)]
    public void Should_give_the_same_loss_from_logits_from_probabilities_and_in_the_metrics(double labelSmoothing, bool classWeights)
    {
        // Given a three-class model's outputs on 40 samples and the run's loss (label smoothing, class weights)
        Holdout.Native.NativeRuntime.EnsureInitialized();
        torch.random.manual_seed(7);
        using var scope = NewDisposeScope();
        var inputs = torch.randn(40, 5);
        var labels = torch.randint(0, 3, [40], dtype: ScalarType.Int64);
        using var model = nn.Linear(5, 3);
        using (torch.no_grad()) model.weight!.mul_(3); // confident outputs, where a floor or a formula would show
        using var loss = new ClassificationLoss(labelSmoothing: labelSmoothing, classWeights: classWeights ? [0.5f, 2f, 1f] : null);

        // When the outputs are scored as an evaluation pass does (logits), as their metrics are, and from the
        // probabilities alone (as for an ONNX file or predictions.csv)
        var predictions = Evaluator.Predict(model, new TensorBatchSource(inputs, labels, batchSize: 16, shuffle: false), loss);
        var metrics = predictions.Metrics(["a", "b", "c"]);
        var (perSample, fromProbabilities) = loss.OfProbabilities(predictions.Labels, predictions.Probabilities);
        var direct = loss.Mean(model.forward(inputs), labels).item<float>();

        // Then every one of them is the loss itself
        Assert.Equal(direct, predictions.Loss, 5);
        Assert.Equal(predictions.Loss, metrics.Loss, 12);
        Assert.Equal(predictions.Loss, fromProbabilities, 5);
        Assert.Equal(predictions.SampleLosses!, perSample, (a, b) => Math.Abs(a - b) < 1e-4);
        Assert.Equal(predictions.SampleLosses!.Max(), metrics.TopLosses(1)[0].Loss, 12);
    }
}
