namespace Holdout.Models.Weights;

/// <summary>One tensor listed in a safetensors header: name, dtype, shape and byte range within the data section.</summary>
internal sealed record SafeTensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
