using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Native;

[Collection(NativeCollection.Name)]
public sealed class TorchSmokeTests
{
    [Fact]
    public void Should_train_a_small_conv_net_so_that_its_loss_falls()
    {
        // Given a small conv net and a fixed batch of random images with labels
        NativeRuntime.EnsureInitialized();
        torch.manual_seed(1);
        using var scope = NewDisposeScope();
        var model = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding: 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2));
        var images = randn(16, 3, 12, 12);
        var labels = tensor(Enumerable.Range(0, 16).Select(i => (long)(i % 2)).ToArray());
        images[labels == 1] += 1.0; // make the classes separable
        var optimizer = optim.Adam(model.parameters(), lr: 0.05);

        // When it trains for 30 steps (forward and backward)
        float first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(images), labels);
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }

        // Then the loss fell well below where it started
        Assert.True(last < first * 0.5, $"loss went from {first} to {last}");
        Assert.Equal("2.10.0", string.Join('.', torch.__version__.Split('.').Take(3)));
    }
}
