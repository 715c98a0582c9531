using System.Text.Json.Nodes;

namespace Holdout.Models;

/// <summary>
/// The shape of a ResNet: block kind, blocks per stage, stage widths, stem width, and whether the stride-2
/// operations pad one pixel less at the end than at the start (CNTK's asymmetric pads: stem [3,3,2,2], max-pool and
/// stride-2 3x3 convolutions [1,1,0,0]) instead of torchvision's symmetric padding.
/// </summary>
internal sealed record ResNetLayout(string Name, bool Bottleneck, int[] Blocks, int[] Widths, int StemWidth, bool TrimEndPadding)
{
    public const int Expansion = 4;

    public static ResNetLayout TorchVision18 { get; } = new("resnet18", false, [2, 2, 2, 2], [64, 128, 256, 512], 64, false);
    public static ResNetLayout TorchVision34 { get; } = new("resnet34", false, [3, 4, 6, 3], [64, 128, 256, 512], 64, false);
    public static ResNetLayout TorchVision50 { get; } = new("resnet50", true, [3, 4, 6, 3], [64, 128, 256, 512], 64, false);

    /// <summary>Length of the pooled feature vector.</summary>
    public int FeatureDimension => Widths[^1] * (Bottleneck ? Expansion : 1);

    /// <summary>An honest description, e.g. <c>resnet18-cntk (2-2-2-3)</c>.</summary>
    public string Description => $"{Name} ({string.Join('-', Blocks)})";

    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["bottleneck"] = Bottleneck,
        ["blocks"] = new JsonArray(Blocks.Select(b => (JsonNode)JsonValue.Create(b)).ToArray()),
        ["widths"] = new JsonArray(Widths.Select(b => (JsonNode)JsonValue.Create(b)).ToArray()),
        ["stem_width"] = StemWidth,
        ["trim_end_padding"] = TrimEndPadding,
    };

    public static ResNetLayout FromJson(JsonObject json) => new(
        json["name"]!.GetValue<string>(),
        json["bottleneck"]!.GetValue<bool>(),
        json["blocks"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray(),
        json["widths"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray(),
        json["stem_width"]!.GetValue<int>(),
        json["trim_end_padding"]!.GetValue<bool>());

    public bool Equals(ResNetLayout? other) =>
        other is not null && Name == other.Name && Bottleneck == other.Bottleneck && Blocks.SequenceEqual(other.Blocks) &&
        Widths.SequenceEqual(other.Widths) && StemWidth == other.StemWidth && TrimEndPadding == other.TrimEndPadding;

    public override int GetHashCode() => HashCode.Combine(Name, Bottleneck, Blocks.Length, StemWidth, TrimEndPadding);
}
