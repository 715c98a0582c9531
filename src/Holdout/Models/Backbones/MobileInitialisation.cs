using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Backbones;

/// <summary>What torchvision's EfficientNet and MobileNetV3 constructors do to their convolutions and BatchNorm layers.</summary>
internal static class MobileInitialisation
{
    /// <summary>
    /// Kaiming-normal convolution weights (fan out, gain √2: torchvision's default leaky-ReLU slope 0), zero convolution
    /// biases (the squeeze-and-excitation layers'), BatchNorm weight 1 and bias 0.
    /// </summary>
    public static void Apply(Module module)
    {
        using var noGrad = no_grad();
        foreach (var child in module.modules())
        {
            switch (child)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    if (conv.bias is { } bias) init.zeros_(bias);
                    break;
                case BatchNorm2d norm:
                    init.ones_(norm.weight);
                    init.zeros_(norm.bias);
                    break;
            }
        }
    }
}
