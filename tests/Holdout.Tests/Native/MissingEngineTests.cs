using Holdout.Native;

namespace Holdout.Tests.Native;

public sealed class MissingEngineTests
{
    [Fact]
    public void Should_name_the_package_to_add_when_the_engine_is_not_beside_the_application()
    {
        // Given an application folder without TorchSharp's bridge library, and one with the bridge but no libtorch
        using var folder = new TempFolder();
        File.WriteAllBytes(Path.Combine(folder.Path, "libLibTorchSharp.so"), [0x7f, (byte)'E', (byte)'L', (byte)'F']);

        // When the engine is required from each
        var none = Assert.Throws<HoldoutException>(() => NativeRuntime.RequireEngine(null));
        var bridgeOnly = Assert.Throws<HoldoutException>(() => NativeRuntime.RequireEngine(folder.Path));

        // Then each message says what is missing and which package to add for this platform
        Assert.Contains("libLibTorchSharp.so was not found", none.Message, StringComparison.Ordinal);
        Assert.Contains("not libtorch_cpu.so", bridgeOnly.Message, StringComparison.Ordinal);
        foreach (var message in new[] { none.Message, bridgeOnly.Message })
        {
            Assert.Contains("libtorch-cpu-" + NativeRuntime.NativeRid, message, StringComparison.Ordinal);
            Assert.Contains(NativeRuntime.LibTorchPackageVersion, message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(true, System.Runtime.InteropServices.Architecture.X64, "debian.12-x64", "linux-x64")]
    [InlineData(true, System.Runtime.InteropServices.Architecture.Arm64, "linux-arm64", "linux-arm64")]
    [InlineData(true, System.Runtime.InteropServices.Architecture.Arm64, "ubuntu.22.04-arm64", "linux-arm64")]
    [InlineData(false, System.Runtime.InteropServices.Architecture.X64, "win-x64", "win-x64")]
    [InlineData(false, System.Runtime.InteropServices.Architecture.Arm64, "osx-arm64", "osx-arm64")]
    public void Should_look_for_each_platforms_engine_in_its_own_native_folder(bool linux, System.Runtime.InteropServices.Architecture architecture,
        string runtimeIdentifier, string expected)
    {
        // Given a system, its process architecture and the runtime's identifier (distribution-specific on some Linuxes)
        // When the engine package's native folder is chosen
        var rid = NativeRuntime.NativeRidFor(linux, architecture, runtimeIdentifier);

        // Then Linux follows the architecture (arm64 no longer goes to linux-x64) and other systems keep their own
        Assert.Equal(expected, rid);
    }
}
