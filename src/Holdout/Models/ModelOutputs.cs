using static TorchSharp.torch;

namespace Holdout.Models;

/// <summary>What a classifier's outputs mean, in one place for evaluation, prediction and diagnostics.</summary>
internal static class ModelOutputs
{
    /// <summary>
    /// Class probabilities from logits: softmax over C logits, or for a single logit [1 - sigmoid, sigmoid]. The one
    /// definition evaluation and prediction share, so they agree bit for bit.
    /// </summary>
    /// <param name="logits">N x C logits (or N x 1 for a binary single-logit model).</param>
    public static Tensor Probabilities(Tensor logits)
    {
        if (logits.shape[1] == 1)
        {
            var p1 = sigmoid(logits);
            return cat([1 - p1, p1], 1);
        }
        return nn.functional.log_softmax(logits, 1).exp();
    }

    /// <summary>The predicted class of each row: the largest logit, or logit &gt; 0 for a single-logit model.</summary>
    /// <param name="logits">N x C logits (or N x 1).</param>
    public static Tensor Predicted(Tensor logits) =>
        logits.shape[1] == 1 ? (logits.squeeze(1) > 0).to_type(ScalarType.Int64) : logits.argmax(1);

    /// <summary>The device of a module's first parameter (the CPU for a module without parameters).</summary>
    /// <param name="module">Any module.</param>
    public static Device DeviceOf(nn.Module module) => module.parameters().FirstOrDefault()?.device ?? CPU;
}
