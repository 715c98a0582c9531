using Holdout.Bench;

return args.FirstOrDefault() switch
{
    "hashes" => HashCalibration.Run(args.Skip(1).ToArray()),
    "dupes" => DuplicateCalibration.Run(args.Skip(1).ToArray()),
    "decode" => DecodeProbe.Run(args.Skip(1).ToArray()),
    "draw" => DrawProbe.Run(args.Skip(1).ToArray()),
    "tensor" => TensorProbe.Run(),
    "loader" => LoaderBenchmark.Run(args.Skip(1).ToArray()),
    "loader-one" => LoaderBenchmark.RunOne(args.Skip(1).ToArray()),
    "train" => TrainingBenchmark.Run(args.Skip(1).ToArray()),
    "onnx" => OnnxBenchmark.Run(args.Skip(1).ToArray()),
    "probe-study" => ProbeStudy.Run(args.Skip(1).ToArray()),
    "frozen" => FrozenBenchmark.Run(args.Skip(1).ToArray()),
    "eval" => EvalBenchmark.Run(args.Skip(1).ToArray()),
    "memory" => MemoryBenchmark.Run(args.Skip(1).ToArray()),
    "backbone" => BackboneProbe.Run(args.Skip(1).ToArray()),
    "load" => LoadProbe.Run(args.Skip(1).ToArray()),
    "kernels" => KernelProbe.Run(args.Skip(1).ToArray()),
    "cl-parity" => ChannelsLastParity.Run(args.Skip(1).ToArray()),
    "conv-sweep" => ConvSweep.Run(args.Skip(1).ToArray()),
    "region" => RegionProbe.Run(args.Skip(1).ToArray()),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        Holdout.Bench: measurements run on demand (not part of the tests). Each prints the host's CPU model and cores, and the precision it ran in and why.
          loader [--shared DIR] [--workers 2] [--passes 6] [--rounds 1] [--folders beans-fullres-test,beans]
                                                     loader img/s vs the PyTorch DataLoader peer, same session
          train [--shared DIR] [--epochs 2] [--precision auto] [--no-peer]
                                                     fine-tune training img/s (end to end and all-layers phase) vs the PyTorch peer, same session
          frozen [--shared DIR] [--rounds 1] [--precision auto]
                                                     frozen recipe wall time + test accuracy vs the ML.NET peer, same session
          eval [--shared DIR] [--precision auto] [--no-peer] evaluation img/s vs the PyTorch peer's evaluation, same session
          onnx [--model resnet18] [--size 224] [--batch 32] [--rounds 3] [--images samples/beans]
                                                     inference img/s: ONNX Runtime on the export vs TorchSharp, same images
          probe-study [DATA] [--image-size 224] [--precision auto]
                                                     linear-probe variants on one featurisation: val/test accuracy
          memory [--batches 1000] [--size 64] [--batch 16] [--images samples/beans]
                                                     resident memory over 1000 ResNet-18 training batches: growth after warm-up (target < 5 %)
          kernels                                    functional ResNet-18 forward img/s: fp32/bf16, NCHW/channels-last, BatchNorm layer/folded
          cl-parity [ResNet18,ResNet34,ResNet50] [32,64,96,224]   backbone features channels-last vs default layout
          conv-sweep                                 bf16 channels-last convolutions of ResNet-18/34 shapes vs default layout, forward + backward
          backbone / load                            where evaluation and start-up time go
          decode DIR / region DIR                    single-thread JPEG decode and render ms/image; region decode vs whole (and where they differ)
          hashes DIR                                         perceptual-hash distances: copies vs distinct images
          dupes DIR [COPIES] [OUT.tsv] [HASH-LIMIT] [and|or] near-duplicate verification: thumbnail similarity of hash candidates and copies
        """);
    return 1;
}
