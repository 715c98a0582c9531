using Holdout.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Diagnostics.Checks;

/// <summary>
/// Scores fixed features with Holdout's own linear probe (<see cref="LinearProbe"/>: multinomial logistic regression
/// with L2, fitted to convergence by L-BFGS) on samples it did not see: k-fold, class-weighted cross-entropy, scored by
/// balanced accuracy (the mean of per-class recalls), so class imbalance neither helps nor hurts and the result does
/// not depend on a learning rate or a number of steps. Features are standardised first, so their scale does not matter
/// either, and one weight decay is used for every fit, so no choice is made on the held-out samples.
/// </summary>
internal static class HeldOutProbe
{
    /// <summary>The L2 penalty of every fit, on standardised features.</summary>
    public const double WeightDecay = 1e-1;

    /// <summary>L-BFGS iterations per fit at most; the held-out predictions settle long before full convergence.</summary>
    public const int MaxIterations = 30;

    /// <summary>The probe's convergence threshold on the largest gradient component.</summary>
    public const double GradientTolerance = 1e-3;

    /// <summary>
    /// The balanced accuracy of the probe on held-out samples: the samples are cut into <paramref name="folds"/> parts
    /// (the same parts for any labels), each part is predicted by a probe fitted to the others.
    /// </summary>
    /// <param name="features">N x D features (CPU).</param>
    /// <param name="labels">N class indices.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="folds">Parts the samples are cut into.</param>
    /// <param name="seed">Seeds the parts.</param>
    /// <param name="cancellationToken">Stops between fits.</param>
    public static double HeldOutBalancedAccuracy(Tensor features, long[] labels, int classes, int folds, long seed, CancellationToken cancellationToken = default)
    {
        using var scope = NewDisposeScope();
        var x = RowSpace(Standardise(features));
        var n = labels.Length;
        var order = Enumerable.Range(0, n).ToArray();
        new Random((int)(seed & 0x7fffffff)).Shuffle(order);
        var predicted = new long[n];
        for (var fold = 0; fold < folds; fold++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var test = order.Where((_, i) => i % folds == fold).ToArray();
            var fit = order.Where((_, i) => i % folds != fold).ToArray();
            using var head = Fit(Rows(x, fit), fit.Select(i => labels[i]).ToArray(), classes, cancellationToken);
            var prediction = Predict(head, Rows(x, test));
            for (var i = 0; i < test.Length; i++)
            {
                predicted[test[i]] = prediction[i];
            }
        }
        return BalancedAccuracy(labels, predicted, classes);
    }

    /// <summary>Features with each column at mean 0 and standard deviation 1 (constant columns at 0), in float64.</summary>
    /// <param name="features">N x D features.</param>
    public static Tensor Standardise(Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = features.to_type(ScalarType.Float64);
        return ((x - x.mean([0], keepdim: true)) / x.std([0], keepdim: true).clamp_min(1e-6)).nan_to_num().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// With more features than samples, the samples' coordinates in the space their rows span (N x N, from the
    /// eigenvectors of the Gram matrix: X = U S Vᵀ gives U S); else <paramref name="x"/> itself. An L2-penalised linear
    /// model's weights lie in the span of the rows it is fitted to, which every fold's rows are part of, so its
    /// predictions are the same on either; the probe then fits N instead of D numbers per class (a 128 px simple CNN
    /// has about 246,000 features).
    /// </summary>
    /// <param name="x">N x D float64 features.</param>
    public static Tensor RowSpace(Tensor x)
    {
        if (x.shape[1] <= x.shape[0])
        {
            return x.alias();
        }
        using var scope = NewDisposeScope();
        var (values, vectors) = linalg.eigh(x.matmul(x.t()));
        return (vectors * values.clamp_min(0).sqrt().unsqueeze(0)).MoveToOuterDisposeScope();
    }

    /// <summary>A linear head fitted by <see cref="LinearProbe"/> to the features, each class weighing the same in total.</summary>
    /// <param name="features">N x D features (CPU).</param>
    /// <param name="labels">N class indices.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    public static Linear Fit(Tensor features, long[] labels, int classes, CancellationToken cancellationToken = default)
    {
        var counts = Enumerable.Range(0, classes).Select(c => labels.Count(l => l == c)).ToArray();
        var present = counts.Count(c => c > 0);
        var weights = counts.Select(c => c == 0 ? 0f : (float)(labels.Length / (double)(present * c))).ToArray();
        using var loss = new ClassificationLoss(classWeights: weights);
        var head = nn.Linear(features.shape[1], classes, dtype: ScalarType.Float64);
        using var labelTensor = tensor(labels);
        // The probe differentiates its objective, also when a caller measures under no_grad.
        using var gradients = enable_grad();
        new LinearProbe([WeightDecay], MaxIterations, GradientTolerance).Fit(head, features, labelTensor, loss: loss, cancellationToken: cancellationToken);
        return head;
    }

    /// <summary>The class <paramref name="head"/> predicts for each row of <paramref name="features"/>.</summary>
    /// <param name="head">A fitted head.</param>
    /// <param name="features">M x D features (CPU).</param>
    public static long[] Predict(Linear head, Tensor features)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return head.forward(features.to_type(head.weight.dtype)).argmax(1).data<long>().ToArray();
    }

    /// <summary>The mean over the classes present in <paramref name="labels"/> of the share of each predicted right.</summary>
    /// <param name="labels">True classes.</param>
    /// <param name="predicted">Predicted classes.</param>
    /// <param name="classes">The number of classes.</param>
    public static double BalancedAccuracy(long[] labels, long[] predicted, int classes)
    {
        var recalls = Enumerable.Range(0, classes)
            .Select(c => (Total: labels.Count(l => l == c), Right: labels.Where((l, i) => l == c && predicted[i] == c).Count()))
            .Where(r => r.Total > 0).Select(r => r.Right / (double)r.Total).ToList();
        return recalls.Count == 0 ? double.NaN : recalls.Average();
    }

    private static Tensor Rows(Tensor x, int[] rows) => x.index_select(0, tensor(rows.Select(i => (long)i).ToArray()));
}
