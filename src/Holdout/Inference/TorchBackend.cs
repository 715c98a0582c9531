using Holdout.Imaging;
using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Inference;

/// <summary>Runs a Holdout model (TorchSharp) in evaluation mode; forward passes are serialised, since the engine already uses every core for one.</summary>
internal sealed class TorchBackend : IPredictionBackend
{
    private readonly ImageClassifier _model;
    private readonly bool _ownsModel;
    private readonly object _gate = new();
    private readonly IDisposable? _folding;
    private bool _disposed;

    public TorchBackend(ImageClassifier model, bool ownsModel)
    {
        NativeRuntime.EnsureInitialized();
        _model = model;
        _ownsModel = ownsModel;
        _model.eval();
        // A model the backend owns cannot change, so its BatchNorm-folded snapshot is made once; a caller's model is
        // folded per call, in case the caller trains it between predictions.
        if (ownsModel) _folding = _model.FoldedInference();
    }

    public IReadOnlyList<string> ClassNames => _model.ClassNames;

    public Preprocessing Preprocessing => _model.Spec.Preprocessing;

    public bool TakesPixels => false;

    public float[] Probabilities(PredictionBatch batch, PredictorOptions options)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var scope = NewDisposeScope();
            using var noGrad = torch.no_grad();
            using var folded = _model.FoldedInference();
            var device = ModelOutputs.DeviceOf(_model);
            var input = torch.tensor(batch.Values!, [batch.Count, 3, batch.Size, batch.Size]).to(device);
            var sum = ModelOutputs.Probabilities(_model.forward(input));
            int views = 1;
            if (options.FlipHorizontal)
            {
                sum = sum + ModelOutputs.Probabilities(_model.forward(input.flip(3)));
                views++;
            }
            if (options.FlipVertical)
            {
                sum = sum + ModelOutputs.Probabilities(_model.forward(input.flip(2)));
                views++;
            }
            var mean = views == 1 ? sum : sum / views;
            return mean.cpu().data<float>().ToArray();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _folding?.Dispose();
            if (_ownsModel) _model.Dispose();
        }
    }
}
