using Holdout.Bench;

// Measurements run on demand (never as tests); bench/README.md says what each measures and what it needs.
// The bench owns its process and measures Holdout as the CLI runs it, so it opts in to the same process-wide tuning.
Holdout.Native.HoldoutRuntime.Initialize(new Holdout.Native.HoldoutRuntimeOptions { TuneAllocator = true });
var rest = args.Skip(1).ToArray();
try
{
    return args.FirstOrDefault() switch
    {
        "train" => TrainingBenchmark.Run(rest),
        "eval" => EvalBenchmark.Run(rest),
        "backbones" => BackbonesBenchmark.Run(rest),
        "frozen" => FrozenBenchmark.Run(rest),
        "loader" => LoaderBenchmark.Run(rest),
        "splits" => BenchData.Write(rest),
        "loader-one" => LoaderBenchmark.RunOne(rest), // the loader benchmark's child process
        "memory" => MemoryBenchmark.Run(rest),
        "scale" => ScaleBenchmark.Run(rest),
        "allreduce" => AllreduceProbe.Run(rest), // under mpirun; bench scale starts it
        "onnx" => OnnxBenchmark.Run(rest),
        "gradcam" => GradCamBenchmark.Run(rest),
        "backbone" => BackboneProbe.Run(rest),
        "kernels" => KernelProbe.Run(rest),
        "cl-parity" => ChannelsLastParity.Run(rest),
        "conv-sweep" => ConvSweep.Run(rest),
        "decode" => DecodeProbe.Run(rest),
        "region" => RegionProbe.Run(rest),
        "hashes" => HashCalibration.Run(rest),
        "dupes" => DuplicateCalibration.Run(rest),
        "probe-study" => ProbeStudy.Run(rest),
        "help" or "--help" or "-h" => Usage(0),
        _ => Usage(1),
    };
}
catch (BenchException e)
{
    Console.Out.Flush();
    Console.Error.WriteLine($"bench {args.FirstOrDefault()}: {e.Message}");
    return 2;
}

static int Usage(int code)
{
    Console.WriteLine("""
        Holdout.Bench: measurements run on demand, never as tests (bench/README.md has the details). Each prints the host's CPU
        model and cores, and the precision it ran in and why. Run one at a time on an idle machine; compare ratios.
          dotnet run -c Release --project bench/Holdout.Bench -- COMMAND [options]

        Against the peers (bench/peers/; the PyTorch peer needs: sudo apt-get install -y python3-torch python3-torchvision python3-onnx):
          train  [--data DIR] [--epochs 2] [--precision auto] [--no-peer] [--python /usr/bin/python3]
                     fine-tune training img/s (end to end, all-layers phase) vs the PyTorch peer
          eval   [--data DIR] [--precision auto] [--no-peer]    evaluation img/s (val + test) vs the PyTorch peer's evaluation
          backbones [--models efficientnet-b0,mobilenet-v3-large,convnext-tiny] [--size 224] [--batch 16] [--steps 3] [--precision auto] [--no-peer]
                     model compute alone: training-step and evaluation img/s of each architecture vs PyTorch's torchvision twin
          frozen [--data DIR] [--rounds 1] [--precision auto] [--mlnet-peer EXE] [--cli DLL]
                     frozen recipe wall time + test accuracy vs the ML.NET peer (built on demand)
          loader [--folders DIR,DIR] [--workers 2] [--passes 6] [--rounds 1]
                     loader img/s (decode + transform + batch, no model) vs the PyTorch DataLoader
          splits [--data DIR] [--out DIR]   writes the split those four use (peer lists + Holdout CSV), to run a peer by hand
            --data DIR: a folder-per-class dataset (default: the committed sample samples/beans); ../shared/datasets/beans
                        uses the reference split bench/peers/splits (991/176/128) for the published numbers.

        Holdout alone:
          memory [--batches 1000] [--size 64] [--batch 16] [--images DIR]
                     resident memory over 1000 ResNet-18 training batches: growth after warm-up (target < 5 %)
          scale  [--data DIR] [--ranks 2] [--epochs 2] [--size 224] [--batch 32] [--precision fp32] [--mpirun mpirun]
                     data-parallel training img/s: 1 rank on one core vs N ranks on N cores (mpirun, OMP_NUM_THREADS=1),
                     speed-up, efficiency and the share of step time in collectives, then the allreduce alone (ms and MB/s
                     per size, as docs/scaling.md uses); needs: sudo apt-get install -y openmpi-bin
          onnx   [--model resnet18] [--size 224] [--batch 32] [--rounds 3] [--images DIR]
                     inference img/s: the ONNX export in ONNX Runtime vs TorchSharp, same images
          gradcam [--size 224] [--batch 32] [--rounds 5] [--precision fp32] [--images DIR]
                     Grad-CAM seconds for one batch with the bundled ResNet-18 (median after a warm-up; target <= 5 s for 32 at 224 px)
          backbone [--data DIR]   where evaluation time goes: forward pass per precision/mode, loader alone, both
          kernels                 functional ResNet-18 forward img/s: fp32/bf16, NCHW/channels-last, BatchNorm layer/folded
          cl-parity [ResNet18,ResNet34,ResNet50] [32,64,96,224]
                                  channels-last vs default-layout features (libtorch correctness check)
          conv-sweep              bf16 channels-last convolutions of ResNet-18/34 shapes vs default layout, forward + backward
          decode [DIR]            single-thread JPEG decode ms/image per decode scale
          region [DIR]            JPEG region decode vs whole-image decode (time, and that the pixels agree)
          hashes [DIR]            perceptual-hash distances: re-encoded/resized copies vs distinct images
          dupes  [DIR] [COPIES] [OUT.tsv] [HASH-LIMIT] [and|or]
                                  near-duplicate verification: thumbnail similarity of hash candidates and copies
          probe-study [DIR] [--image-size 224] [--precision auto]
                                  linear-probe variants on one featurisation: val/test accuracy
            DIR / --images DIR default to the committed sample samples/beans.
        """);
    return code;
}
