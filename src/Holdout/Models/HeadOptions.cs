namespace Holdout.Models;

/// <summary>
/// The classification head put on a backbone: pooling, then optional BatchNorm and dropout, then one linear layer to
/// the class count. Ignored by <see cref="Architecture.SimpleCnn"/>, whose dense layers are fixed by the seed design.
/// </summary>
/// <param name="Pooling">How the feature map is pooled. Defaults to <see cref="HeadPooling.Average"/>.</param>
/// <param name="Dropout">Dropout probability before the linear layer, 0 for none. Defaults to 0.</param>
/// <param name="BatchNorm">Whether a BatchNorm1d normalises the pooled features before dropout. Defaults to false.</param>
public sealed record HeadOptions(HeadPooling Pooling = HeadPooling.Average, double Dropout = 0.0, bool BatchNorm = false);
