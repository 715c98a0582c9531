using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Explaining;

/// <summary>
/// Grad-CAM (Selvaraju et al., 2017): where in an image the evidence for a class lies. The map explained is a
/// ResNet's last block (layer4) or the simple CNN's last convolution; each channel is weighted by the mean gradient of
/// the class's logit with respect to it, the weighted channels are summed, and negative values are cut. The backbone
/// runs once, without gradients (BatchNorm folded); only the head is differentiated, from the detached map, so a batch
/// costs about one evaluation pass and the model's own gradients are never touched.
/// </summary>
public static class GradCam
{
    /// <summary>
    /// Heatmaps for a batch of prepared images, in evaluation mode (the model's mode is put back afterwards).
    /// </summary>
    /// <param name="model">The classifier.</param>
    /// <param name="images">N x 3 x H x W images, prepared as the model's <see cref="BackboneSpec.Preprocessing"/> says, on the model's device.</param>
    /// <param name="classes">The class to explain for each image, or null for the predicted class.</param>
    /// <returns>One heatmap per image with the prediction and the class explained.</returns>
    /// <exception cref="ArgumentException">The number of classes given is not the number of images, or one is out of range.</exception>
    public static GradCamBatch Explain(ImageClassifier model, Tensor images, IReadOnlyList<int>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        NativeRuntime.EnsureInitialized();
        var count = (int)images.shape[0];
        if (classes is not null && classes.Count != count)
        {
            throw new ArgumentException($"{classes.Count} classes were given for {count} images.", nameof(classes));
        }
        if (classes is not null && classes.Any(c => c < 0 || c >= model.ClassNames.Count))
        {
            throw new ArgumentException($"A class to explain is outside 0..{model.ClassNames.Count - 1}.", nameof(classes));
        }
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            Tensor map;
            using (no_grad())
            using (model.FoldedInference())
            {
                map = model.ExplainedMap(images);
            }
            map = map.detach().requires_grad_(true);
            Tensor logits, gradients;
            using (enable_grad())
            {
                logits = model.ClassifyMap(map);
                var predicted = logits.argmax(1);
                var target = classes is null ? predicted : tensor(classes.Select(c => (long)c).ToArray(), device: logits.device);
                var score = logits.gather(1, target.unsqueeze(1)).sum();
                gradients = autograd.grad([score], [map])[0];
            }
            using var noGrad = no_grad();
            var weights = gradients.mean([2L, 3L], keepdim: true);
            var cams = nn.functional.relu((weights * map.detach()).sum(1)).cpu();
            var probabilities = nn.functional.softmax(logits.detach(), 1).cpu();
            var height = (int)cams.shape[1];
            var width = (int)cams.shape[2];
            var values = cams.contiguous().data<float>().ToArray();
            var probabilityValues = probabilities.contiguous().data<float>().ToArray();
            var classCount = (int)probabilities.shape[1];
            var explanations = new List<GradCamExplanation>(count);
            for (var i = 0; i < count; i++)
            {
                var p = probabilityValues.AsSpan(i * classCount, classCount).ToArray();
                var predictedClass = Array.IndexOf(p, p.Max());
                var heatmap = Heatmap.Normalised(width, height, values.AsSpan(i * width * height, width * height));
                explanations.Add(new GradCamExplanation(heatmap, predictedClass, classes?[i] ?? predictedClass, p));
            }
            return new GradCamBatch(explanations);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}

/// <summary>One image's Grad-CAM explanation.</summary>
/// <param name="Heatmap">Where the evidence for <paramref name="ExplainedClass"/> lies, on the explained map's grid.</param>
/// <param name="PredictedClass">The class the model predicts.</param>
/// <param name="ExplainedClass">The class explained (the predicted one unless another was asked for).</param>
/// <param name="Probabilities">The model's class probabilities for the image.</param>
public sealed record GradCamExplanation(Heatmap Heatmap, int PredictedClass, int ExplainedClass, IReadOnlyList<float> Probabilities);

/// <summary>The explanations of a batch, in the batch's order.</summary>
/// <param name="Explanations">One per image.</param>
public sealed record GradCamBatch(IReadOnlyList<GradCamExplanation> Explanations);
