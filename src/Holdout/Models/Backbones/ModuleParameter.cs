using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Holdout.Models.Backbones;

/// <summary>Parameters made in C# (rather than inside a TorchSharp layer) by modules that may be built inside a dispose scope.</summary>
internal static class ModuleParameter
{
    /// <summary>
    /// A parameter holding <paramref name="initial"/>'s values that belongs to its module, not to the dispose scope it
    /// was made in: TorchSharp's <c>Parameter</c> takes its data's place in the current scope, and ModelFactory builds
    /// models inside one while it reads the weights, so the parameter would be freed when the model is returned.
    /// </summary>
    /// <param name="initial">The initial values; the tensor is emptied (its storage moves into the parameter).</param>
    public static Parameter Create(Tensor initial)
    {
        var parameter = Parameter(initial);
        parameter.DetachFromDisposeScope();
        return parameter;
    }
}
