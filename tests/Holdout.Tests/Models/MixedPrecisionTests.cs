using Holdout.Models;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Models;

[Collection(NativeCollection.Name)]
public sealed class MixedPrecisionTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    [Theory]
    [InlineData(Architecture.ResNet18, "bundled")]
    [InlineData(Architecture.ResNet50, "none")]
    [InlineData(Architecture.SimpleCnn, "none")]
    public void Should_compute_the_backbone_in_bfloat16_and_keep_weights_statistics_and_outputs_float32(Architecture architecture, string weights)
    {
        // Given a model and a batch
        NativeRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(new ModelOptions(architecture, Classes, 64, weights));
        var batch = (architecture == Architecture.ResNet18 ? 60 : 1) * FormulaWeights.Input(4, 3, 64, 64);
        model.eval();
        Tensor fp32;
        using (no_grad()) fp32 = model.forward(batch);

        // When it runs in bf16 (eval) and takes one training step
        model.Precision = Precision.Bf16;
        Tensor bf16;
        using (no_grad()) bf16 = model.forward(batch);
        model.train();
        var labels = tensor(new long[] { 0, 1, 2, 0 });
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var loss = nn.functional.cross_entropy(model.forward(batch), labels);
        loss.backward();

        // Then the logits are float32 and close to the float32 ones (bf16 keeps ~3 significant digits),
        Assert.Equal(Precision.Bf16, model.Precision);
        Assert.Equal(ScalarType.Float32, bf16.dtype);
        var scale = fp32.abs().max().item<float>() + 1e-3f;
        Assert.True((bf16 - fp32).abs().max().item<float>() < 0.05f * scale, $"bf16 {bf16.str()} vs fp32 {fp32.str()}");
        // every parameter, its gradient and every BatchNorm statistic stayed float32, the statistics moved in train mode,
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(model.parameters().Where(p => p.grad is not null), p => Assert.Equal(ScalarType.Float32, p.grad!.dtype));
        Assert.Contains(model.parameters(), p => p.grad is not null && p.grad.abs().sum().item<float>() > 0);
        Assert.All(model.named_buffers(), b => Assert.True(b.buffer.dtype is ScalarType.Float32 or ScalarType.Int64, $"{b.name} is {b.buffer.dtype}"));
        if (architecture != Architecture.SimpleCnn)
        {
            var mean = "backbone.layer1.0.bn1.running_mean";
            Assert.False(before[mean].allclose(model.state_dict()[mean], rtol: 0, atol: 0));
        }
    }

    [Fact]
    public void Should_resolve_auto_to_bfloat16_only_where_the_processor_computes_it_natively()
    {
        Assert.Equal(PrecisionSupport.CpuHasNativeBf16 ? Precision.Bf16 : Precision.Fp32, PrecisionSupport.Resolve(Precision.Auto));
        Assert.Equal(Precision.Fp32, PrecisionSupport.Resolve(Precision.Fp32));
        Assert.Equal(Precision.Bf16, PrecisionSupport.Resolve(Precision.Bf16));
        var flags = File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : null;
        if (flags is not null && System.Runtime.Intrinsics.X86.X86Base.IsSupported)
            Assert.Equal(flags.Contains(" avx512_bf16", StringComparison.Ordinal) || flags.Contains(" amx_bf16", StringComparison.Ordinal), PrecisionSupport.CpuHasNativeBf16);
    }

    [Fact]
    public void Should_save_float32_bundles_from_a_bfloat16_model_that_load_anywhere()
    {
        NativeRuntime.EnsureInitialized();
        using var temp = new TempFolder();
        using var model = ModelFactory.Create(new ModelOptions(Architecture.SimpleCnn, Classes, 16, "none"));
        model.Precision = Precision.Bf16;
        var path = Path.Combine(temp.Path, "m.holdout");
        ModelBundle.Save(path, model);
        using var loaded = ModelBundle.Load(path).Model;
        Assert.Equal(Precision.Fp32, loaded.Precision);
        Assert.All(loaded.state_dict().Values, t => Assert.True(t.dtype is ScalarType.Float32 or ScalarType.Int64));
    }
}
