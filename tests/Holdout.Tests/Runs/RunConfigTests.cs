using System.Text.Json.Nodes;
using Holdout.Models;
using Holdout.Native;
using Holdout.Runs;

namespace Holdout.Tests.Runs;

[Collection(NativeCollection.Name)]
public sealed class RunConfigTests
{
    [Fact]
    public void Should_compare_on_resume_only_what_the_config_recorded()
    {
        // Given a config.json from before processors and threads were recorded, with this libtorch
        var here = EngineInfo.Describe();
        var document = new JsonObject { ["versions"] = new JsonObject { ["libtorch"] = here.LibTorchVersion } };
        var config = new RunConfig(new TrainRunOptions(), CommandLine: null, Created: null, document);

        // Then nothing differs; and once it records a precision, a change of precision is named
        Assert.Empty(config.SetupChanges(here, Precision.Fp32));
        document["effective"] = new JsonObject { ["precision"] = "bf16" };
        Assert.Equal(["precision bf16 -> fp32"], config.SetupChanges(here, Precision.Fp32));
        Assert.Empty(config.SetupChanges(here, Precision.Bf16));
    }

    [Fact]
    public void Should_describe_the_processor_with_its_family_on_x86()
    {
        var processor = EngineInfo.DescribeProcessor();
        if (System.Runtime.Intrinsics.X86.X86Base.IsSupported)
            Assert.Matches(@"^.+ \(family \d+, model \d+\)$", processor);
        else
            Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString(), processor);
    }
}
