using Holdout.Native;
using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>
/// Fits a linear head on fixed features to convergence — multinomial logistic regression with an L2 penalty on the
/// weights, the "linear probe" of LP-FT (Kumar et al., ICLR 2022) — instead of a few noisy epochs of SGD. The objective
/// (the run's <see cref="ClassificationLoss"/> + weight decay / 2 x |W|²) is convex, so L-BFGS with a backtracking line
/// search finds its optimum from any start, deterministically, in float64. The weight decay is chosen on the validation
/// features from <see cref="WeightDecays"/> (fitted from the strongest to the weakest, each starting where the previous
/// ended, and stopped once <see cref="Patience"/> weaker ones in a row fail to improve the validation loss: the weak
/// penalties are the slow ones to converge, and past the validation optimum they only overfit more).
/// </summary>
/// <example><code>var result = new LinearProbe().Fit(head, trainFeatures, trainLabels, valFeatures, valLabels, loss);</code></example>
public sealed class LinearProbe
{
    /// <summary>
    /// The default weight-decay candidates, 3 down to 1e-4. The strongest keep the head near the class priors, so on a
    /// tiny or hard dataset the probe chosen on validation is not worse than the initial head (with a grid that stopped
    /// at 0.1, the best candidate on a few dozen images could leave a validation loss above the priors' ln C).
    /// </summary>
    public static IReadOnlyList<double> DefaultWeightDecays { get; } = [3, 1, 3e-1, 1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4];

    /// <summary>Creates a probe.</summary>
    /// <param name="weightDecays">Candidates for the L2 penalty, chosen on validation. Defaults to <see cref="DefaultWeightDecays"/>.</param>
    /// <param name="maxIterations">L-BFGS iterations per candidate at most. Defaults to 300.</param>
    /// <param name="gradientTolerance">Converged when the largest gradient component is below this. Defaults to 1e-6.</param>
    /// <param name="patience">
    /// Stop the sweep after this many weaker candidates in a row without a lower validation loss; 0 fits every candidate.
    /// Defaults to 2 (on the peers' beans split it fitted 7 of the 10 default candidates and chose the same one as the
    /// full sweep).
    /// </param>
    /// <exception cref="HoldoutException">No candidate, a negative candidate, fewer than one iteration, or a negative patience.</exception>
    public LinearProbe(IReadOnlyList<double>? weightDecays = null, int maxIterations = 300, double gradientTolerance = 1e-6, int patience = 2)
    {
        WeightDecays = weightDecays ?? DefaultWeightDecays;
        if (WeightDecays.Count == 0 || WeightDecays.Any(w => !(w >= 0)))
            throw new HoldoutException($"The linear probe needs weight-decay candidates of 0 or more, got [{string.Join(", ", WeightDecays)}].");
        if (maxIterations < 1) throw new HoldoutException($"The linear probe needs at least one iteration, got {maxIterations}.");
        if (patience < 0) throw new HoldoutException($"The linear probe's patience must be 0 (fit every candidate) or more, got {patience}.");
        MaxIterations = maxIterations;
        GradientTolerance = gradientTolerance;
        Patience = patience;
    }

    /// <summary>The weight-decay candidates.</summary>
    public IReadOnlyList<double> WeightDecays { get; }

    /// <summary>L-BFGS iterations per candidate at most.</summary>
    public int MaxIterations { get; }

    /// <summary>The convergence threshold on the largest gradient component.</summary>
    public double GradientTolerance { get; }

    /// <summary>Weaker candidates in a row without a lower validation loss after which the sweep stops (0: never).</summary>
    public int Patience { get; }

    /// <summary>
    /// Fits <paramref name="head"/> (weights and bias) on the features and leaves it at the solution whose validation
    /// loss is lowest (the strongest weight decay when there is no validation, or on ties).
    /// </summary>
    /// <param name="head">The linear layer that maps features to logits (N x D to N x C).</param>
    /// <param name="trainFeatures">N x D training features.</param>
    /// <param name="trainLabels">N int64 labels.</param>
    /// <param name="validationFeatures">M x D validation features, or null.</param>
    /// <param name="validationLabels">M int64 labels, or null.</param>
    /// <param name="loss">The run's loss (label smoothing, class weights). Defaults to plain cross-entropy.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    public ProbeResult Fit(Linear head, Tensor trainFeatures, Tensor trainLabels, Tensor? validationFeatures = null, Tensor? validationLabels = null,
        ClassificationLoss? loss = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(head);
        using var plain = loss is null ? new ClassificationLoss() : null;
        var objective = loss ?? plain!;
        var clock = Stopwatch.StartNew();
        // The objective's tensors are tiny (N x D x C): with more than one engine thread every operation ends in a
        // thread barrier, which costs more than the arithmetic, and far more when other processes share the cores.
        // One thread for the fit; the caller's count is restored after.
        using var oneThread = EngineThreads.Use(1);
        return FitOnOneThread(head, trainFeatures, trainLabels, validationFeatures, validationLabels, objective, clock, cancellationToken);
    }

    private ProbeResult FitOnOneThread(Linear head, Tensor trainFeatures, Tensor trainLabels, Tensor? validationFeatures, Tensor? validationLabels,
        ClassificationLoss objective, Stopwatch clock, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var x = trainFeatures.to(ScalarType.Float64, head.weight.device);
        var y = trainLabels.to(head.weight.device);
        var xv = validationFeatures?.to(ScalarType.Float64, head.weight.device);
        var yv = validationLabels?.to(head.weight.device);
        var validates = xv is not null && yv is not null && xv.shape[0] > 0;
        long classes = head.weight.shape[0], dims = head.weight.shape[1];
        bool hasBias = head.bias is not null;
        var theta = new double[classes * dims + (hasBias ? classes : 0)];
        (Tensor W, Tensor? B) Split(Tensor t) => (t.narrow(0, 0, classes * dims).view(classes, dims), hasBias ? t.narrow(0, classes * dims, classes) : null);
        Tensor Logits(Tensor t, Tensor features)
        {
            var (w, b) = Split(t);
            var z = features.matmul(w.t());
            return b is null ? z : z + b;
        }
        Tensor AsTensor(double[] values) => tensor(values, dtype: ScalarType.Float64).to(head.weight.device);

        var candidates = new List<(double WeightDecay, double ValidationLoss)>();
        double[]? best = null;
        double bestValidation = double.PositiveInfinity, bestDecay = WeightDecays[0];
        int iterations = 0, worse = 0;
        // Plain cross-entropy has a closed-form gradient, (softmax - one-hot) / N through the linear map: computing it
        // directly takes a third of the engine calls of autograd, which dominate at these sizes.
        var plain = objective.IsPlainCrossEntropy && classes > 1;
        using var oneHot = plain ? nn.functional.one_hot(y, classes).to(ScalarType.Float64) : null;
        double count = x.shape[0];
        foreach (var decay in WeightDecays.OrderByDescending(w => w))
        {
            if (Patience > 0 && worse >= Patience) break;
            double Objective(double[] t, double[] gradient) => plain ? Closed(t, gradient) : Automatic(t, gradient);
            double Closed(double[] t, double[] gradient)
            {
                using var inner = NewDisposeScope();
                var parameter = AsTensor(t);
                var (w, b) = Split(parameter);
                var logProbabilities = Logits(parameter, x).log_softmax(1);
                var residual = (logProbabilities.exp() - oneHot!) / count;
                var weightGradient = residual.t().matmul(x).add_(w, decay);
                var value = (logProbabilities * oneHot!).sum().neg() / count + 0.5 * decay * w.square().sum();
                var all = b is null ? cat([weightGradient.flatten(), value.view(1)]) : cat([weightGradient.flatten(), residual.sum(0L, false), value.view(1)]);
                var values = all.cpu().data<double>().ToArray();
                values.AsSpan(0, gradient.Length).CopyTo(gradient);
                return values[^1];
            }
            double Automatic(double[] t, double[] gradient)
            {
                using var inner = NewDisposeScope();
                var parameter = AsTensor(t).requires_grad_(true);
                var (w, _) = Split(parameter);
                var value = objective.Mean(Logits(parameter, x), y) + 0.5 * decay * w.square().sum();
                value.backward();
                parameter.grad!.cpu().data<double>().CopyTo(gradient);
                return value.item<double>();
            }
            var (solution, used) = Minimise(theta, Objective, cancellationToken);
            iterations += used;
            theta = solution;
            double validation;
            using (no_grad()) validation = validates ? objective.Mean(Logits(AsTensor(theta), xv!), yv!).item<double>() : double.NaN;
            candidates.Add((decay, validation));
            if (best is null || validation < bestValidation)
            {
                (best, bestValidation, bestDecay) = (theta, validation, decay);
                worse = 0;
            }
            else if (double.IsFinite(validation))
            {
                worse++;
            }
            // Without validation the strongest penalty is the choice: the weaker ones need not be fitted.
            if (!validates) break;
        }

        using (no_grad())
        {
            var solution = AsTensor(best!);
            var (w, b) = Split(solution);
            head.weight.copy_(w.to(head.weight.dtype));
            if (b is not null) head.bias!.copy_(b.to(head.bias!.dtype));
            var trainLogits = Logits(solution, x);
            var trainLoss = objective.Mean(trainLogits, y).item<double>();
            var trainAccuracy = Accuracy(trainLogits, y);
            var validationAccuracy = validates ? Accuracy(Logits(solution, xv!), yv!) : double.NaN;
            return new ProbeResult(bestDecay, iterations, trainLoss, trainAccuracy, bestValidation, validationAccuracy, clock.Elapsed.TotalSeconds, candidates);
        }
    }

    private static double Accuracy(Tensor logits, Tensor labels) => logits.argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();

    private delegate double ObjectiveFunction(double[] theta, double[] gradient);

    /// <summary>
    /// L-BFGS (10 pairs) with Armijo backtracking on plain arrays (the vector algebra is tiny next to one objective
    /// evaluation, and engine calls per element would dominate); returns the solution and the iterations used.
    /// </summary>
    private (double[] Solution, int Iterations) Minimise(double[] start, ObjectiveFunction f, CancellationToken cancellationToken)
    {
        const int history = 10;
        int n = start.Length;
        var s = new List<double[]>();
        var y = new List<double[]>();
        var rho = new List<double>();
        var x = (double[])start.Clone();
        var g = new double[n];
        var value = f(x, g);
        var candidate = new double[n];
        var next = new double[n];
        var d = new double[n];
        int k = 0;
        for (; k < MaxIterations; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (MaxAbs(g) < GradientTolerance) break;
            // Two-loop recursion: d = -H g.
            Array.Copy(g, d, n);
            var alphas = new double[s.Count];
            for (int i = s.Count - 1; i >= 0; i--)
            {
                alphas[i] = rho[i] * Dot(s[i], d);
                Axpy(-alphas[i], y[i], d);
            }
            var gamma = s.Count == 0 ? 1.0 / Math.Max(1.0, g.Sum(Math.Abs)) : Dot(s[^1], y[^1]) / Dot(y[^1], y[^1]);
            for (int j = 0; j < n; j++) d[j] *= gamma;
            for (int i = 0; i < s.Count; i++)
            {
                var beta = rho[i] * Dot(y[i], d);
                Axpy(alphas[i] - beta, s[i], d);
            }
            for (int j = 0; j < n; j++) d[j] = -d[j];
            var slope = Dot(g, d);
            if (!(slope < 0))
            {
                s.Clear();
                y.Clear();
                rho.Clear();
                var scale = 1.0 / Math.Max(1.0, g.Sum(Math.Abs));
                for (int j = 0; j < n; j++) d[j] = -g[j] * scale;
                slope = Dot(g, d);
            }
            double step = 1, nextValue = double.NaN;
            for (int tries = 0; tries < 40; tries++, step *= 0.5)
            {
                for (int j = 0; j < n; j++) candidate[j] = x[j] + step * d[j];
                nextValue = f(candidate, next);
                if (double.IsFinite(nextValue) && nextValue <= value + 1e-4 * step * slope) break;
            }
            if (!(nextValue <= value)) break;
            var sk = new double[n];
            var yNew = new double[n];
            for (int j = 0; j < n; j++)
            {
                sk[j] = candidate[j] - x[j];
                yNew[j] = next[j] - g[j];
            }
            var curvature = Dot(sk, yNew);
            if (curvature > 1e-12)
            {
                s.Add(sk);
                y.Add(yNew);
                rho.Add(1 / curvature);
                if (s.Count > history)
                {
                    s.RemoveAt(0);
                    y.RemoveAt(0);
                    rho.RemoveAt(0);
                }
            }
            var change = value - nextValue;
            (x, candidate) = (candidate, x);
            (g, next) = (next, g);
            value = nextValue;
            if (change <= 1e-15 * Math.Max(1.0, Math.Abs(value)))
            {
                k++;
                break;
            }
        }
        return (x, k);
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static void Axpy(double alpha, double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++) y[i] += alpha * x[i];
    }

    private static double MaxAbs(double[] a)
    {
        double max = 0;
        foreach (var v in a) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
