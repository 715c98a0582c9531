using Holdout.Runs;
using Holdout.Training;

namespace Holdout.Tests.Training;

public sealed class KerasLogFormatTests
{
    [Fact]
    public void Should_print_an_epoch_the_way_keras_does()
    {
        // Given the logs of epoch 3 of 20 with 34 steps in 41 s
        var logs = new EpochLogs(3) { ["loss"] = 0.21414, ["acc"] = 0.93124, ["val_loss"] = 0.18771, ["val_acc"] = 0.94006, ["lr"] = 0.001, ["seconds"] = 40.8 };

        // When formatted; Then it reads as a Keras log line
        Assert.Equal("Epoch 3/20 - 41s 1.2s/step - loss: 0.2141 - acc: 0.9312 - val_loss: 0.1877 - val_acc: 0.9401 - lr: 1.00e-03",
            KerasLogFormat.EpochLine(logs, 20, 34));
    }

    [Fact]
    public void Should_show_fast_steps_in_milliseconds()
    {
        Assert.Equal("85ms", KerasLogFormat.StepTime(0.0851));
        Assert.Equal("2.0s", KerasLogFormat.StepTime(2.0));
    }
}
