using Holdout.Native;
using Holdout.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Training;

[Collection(NativeCollection.Name)]
public sealed class LinearProbeTests
{
    /// <summary>Three separable Gaussian clusters in 20 dimensions, deterministic.</summary>
    private static (Tensor Features, Tensor Labels) Clusters(int perClass, long seed)
    {
        var generator = new Generator((ulong)seed);
        var centres = randn([3, 20], generator: generator) * 3;
        var labels = arange(3).repeat_interleave(perClass);
        var features = centres.index_select(0, labels) + randn([3 * perClass, 20], generator: generator);
        return (features.to(ScalarType.Float32), labels);
    }

    [Fact]
    public void Should_reach_the_optimum_of_the_penalised_logistic_regression()
    {
        // Given separable features and a probe with one weight decay
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var (x, y) = Clusters(40, 1);
        using var head = nn.Linear(20, 3);
        const double decay = 1e-2;

        // When the probe fits the head
        var result = new LinearProbe([decay]).Fit(head, x, y);

        // Then the gradient of the objective is zero at the solution, computed independently in float64,
        var w = head.weight.detach().to(ScalarType.Float64).requires_grad_(true);
        var b = head.bias!.detach().to(ScalarType.Float64).requires_grad_(true);
        var x64 = x.to(ScalarType.Float64);
        Tensor Objective(Tensor wt, Tensor bt) => nn.functional.cross_entropy(x64.matmul(wt.t()) + bt, y) + 0.5 * decay * wt.square().sum();
        Objective(w, b).backward();
        var gradient = Math.Max(w.grad!.abs().max().item<double>(), b.grad!.abs().max().item<double>());
        Assert.True(gradient < 1e-4, $"gradient {gradient} at the solution");

        // and Newton's method with the exact Hessian, written here in plain arithmetic, reaches the same optimum: the same
        // objective value to 1e-9 and the same class probabilities (on separable data the biases sit on a nearly flat
        // ridge, so they are compared through what they predict, not one by one)
        var reference = Newton(x.to(ScalarType.Float64).data<double>().ToArray(), y.data<long>().ToArray(), 20, 3, decay);
        var wn = tensor(reference.Take(60).ToArray(), [3, 20], ScalarType.Float64);
        var bn = tensor(reference.Skip(60).ToArray(), ScalarType.Float64);
        using (no_grad())
        {
            var probeValue = Objective(w.detach(), b.detach()).item<double>();
            var newtonValue = Objective(wn, bn).item<double>();
            Assert.True(Math.Abs(probeValue - newtonValue) < 1e-9, $"objective {probeValue} against Newton's {newtonValue}");
            var probabilities = nn.functional.softmax(x64.matmul(w.detach().t()) + b.detach(), 1);
            var newtonProbabilities = nn.functional.softmax(x64.matmul(wn.t()) + bn, 1);
            var largest = (probabilities - newtonProbabilities).abs().max().item<double>();
            Assert.True(largest < 1e-4, $"probabilities differ from Newton's by {largest} (Newton's last step {lastStep}, gradient {lastGradient})");
        }
        Assert.Equal(1.0, result.TrainAccuracy);
        Assert.True(result.Iterations > 0);
    }

    [Fact]
    public void Should_choose_the_weight_decay_with_the_lowest_validation_loss_and_be_deterministic()
    {
        // Given training and validation clusters drawn from the same centres, and noisy labels in training
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var (x, y) = Clusters(30, 2);
        var noisy = y.clone();
        noisy[0] = tensor(2L);
        noisy[31] = tensor(0L);
        var (xv, yv) = Clusters(30, 2);
        using var first = nn.Linear(20, 3);
        using var second = nn.Linear(20, 3);

        // When the probe fits twice with several candidates
        var a = new LinearProbe(patience: 0).Fit(first, x, noisy, xv, yv);
        var b = new LinearProbe(patience: 0).Fit(second, x, noisy, xv, yv);

        // Then the chosen decay is the candidate with the lowest validation loss, and both fits are identical
        Assert.Equal(LinearProbe.DefaultWeightDecays.Count, a.Candidates.Count);
        Assert.Equal(a.Candidates.MinBy(c => c.ValidationLoss).WeightDecay, a.WeightDecay);
        Assert.Equal(a.Candidates.Min(c => c.ValidationLoss), a.ValidationLoss);
        Assert.Equal(0f, (first.weight - second.weight).abs().max().item<float>());
        Assert.Equal(a.WeightDecay, b.WeightDecay);
    }

    [Fact]
    public void Should_stop_the_sweep_once_patience_weaker_candidates_do_not_improve_and_choose_as_the_full_sweep()
    {
        // Given noisy training labels, whose weakest penalties overfit, and the full sweep's validation losses
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var (x, y) = Clusters(30, 3);
        var noisy = y.clone();
        foreach (var i in new[] { 0, 31, 62, 5, 36 }) noisy[i] = tensor((y[i].item<long>() + 1) % 3);
        var (xv, yv) = Clusters(30, 3);
        using var full = nn.Linear(20, 3);
        using var early = nn.Linear(20, 3);
        var all = new LinearProbe(patience: 0).Fit(full, x, noisy, xv, yv);
        var bestIndex = all.Candidates.Select((c, i) => (c.ValidationLoss, i)).Min().i;
        Assert.True(bestIndex + 2 < all.Candidates.Count, $"the data should put the optimum before the last two candidates, got {bestIndex}");

        // When the probe fits with a patience of 2
        var result = new LinearProbe(patience: 2).Fit(early, x, noisy, xv, yv);

        // Then it fits the candidates up to two past the best, in the same order with the same losses, and chooses the same
        Assert.Equal(bestIndex + 3, result.Candidates.Count);
        Assert.Equal(all.Candidates.Take(bestIndex + 3), result.Candidates);
        Assert.Equal(all.WeightDecay, result.WeightDecay);
        Assert.True(result.Iterations < all.Iterations, $"{result.Iterations} iterations against the full sweep's {all.Iterations}");
        Assert.Equal(0f, (full.weight - early.weight).abs().max().item<float>());
    }

    /// <summary>
    /// Softmax regression with an L2 penalty on the weights (not the bias), solved by Newton's method with the exact
    /// Hessian: parameters [W (classes x dims, row-major), b (classes)].
    /// </summary>
    private static double lastStep, lastGradient;

    private static double[] Newton(double[] x, long[] y, int dims, int classes, double decay)
    {
        int n = y.Length, stride = dims + 1, size = classes * stride;
        var theta = new double[size];
        int W(int c, int d) => c * dims + d;
        int B(int c) => classes * dims + c;
        for (int iteration = 0; iteration < 30; iteration++)
        {
            var gradient = new double[size];
            var hessian = new double[size, size];
            for (int i = 0; i < n; i++)
            {
                var z = new double[classes];
                for (int c = 0; c < classes; c++)
                {
                    z[c] = theta[B(c)];
                    for (int d = 0; d < dims; d++) z[c] += theta[W(c, d)] * x[i * dims + d];
                }
                var max = z.Max();
                var p = z.Select(v => Math.Exp(v - max)).ToArray();
                var sum = p.Sum();
                for (int c = 0; c < classes; c++) p[c] /= sum;
                double Feature(int d) => d == dims ? 1 : x[i * dims + d];
                int Index(int c, int d) => d == dims ? B(c) : W(c, d);
                for (int c = 0; c < classes; c++)
                {
                    var residual = p[c] - (y[i] == c ? 1 : 0);
                    for (int d = 0; d <= dims; d++) gradient[Index(c, d)] += residual * Feature(d) / n;
                    for (int c2 = 0; c2 < classes; c2++)
                    {
                        var weight = ((c == c2 ? p[c] : 0) - p[c] * p[c2]) / n;
                        for (int d = 0; d <= dims; d++)
                            for (int d2 = 0; d2 <= dims; d2++)
                                hessian[Index(c, d), Index(c2, d2)] += weight * Feature(d) * Feature(d2);
                    }
                }
            }
            for (int c = 0; c < classes; c++)
                for (int d = 0; d < dims; d++)
                {
                    gradient[W(c, d)] += decay * theta[W(c, d)];
                    hessian[W(c, d), W(c, d)] += decay;
                }
            // The softmax's bias direction (all biases equal) is flat: a tiny ridge keeps the system solvable.
            for (int k = 0; k < size; k++) hessian[k, k] += 1e-12;
            var step = Solve(hessian, gradient);
            for (int k = 0; k < size; k++) theta[k] -= step[k];
            lastStep = step.Max(Math.Abs);
            lastGradient = gradient.Max(Math.Abs);
            if (lastStep < 1e-12) break;
        }
        // Softmax logits are unique up to a shared bias shift; the probe starts from zero biases and keeps their sum at 0.
        var shift = Enumerable.Range(0, classes).Average(c => theta[B(c)]);
        for (int c = 0; c < classes; c++) theta[B(c)] -= shift;
        return theta;
    }

    private static double[] Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        var m = (double[,])a.Clone();
        var v = (double[])b.Clone();
        for (int col = 0; col < n; col++)
        {
            int pivot = Enumerable.Range(col, n - col).MaxBy(r => Math.Abs(m[r, col]));
            for (int k = 0; k < n; k++) (m[col, k], m[pivot, k]) = (m[pivot, k], m[col, k]);
            (v[col], v[pivot]) = (v[pivot], v[col]);
            for (int r = col + 1; r < n; r++)
            {
                var factor = m[r, col] / m[col, col];
                for (int k = col; k < n; k++) m[r, k] -= factor * m[col, k];
                v[r] -= factor * v[col];
            }
        }
        var result = new double[n];
        for (int r = n - 1; r >= 0; r--)
        {
            var sum = v[r];
            for (int k = r + 1; k < n; k++) sum -= m[r, k] * result[k];
            result[r] = sum / m[r, r];
        }
        return result;
    }
}
