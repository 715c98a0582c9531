using System.Runtime.InteropServices;
using Holdout.Distributed;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Holdout.Training;

/// <summary>
/// What a data-parallel step shares between the ranks of a <see cref="ProcessGroup"/>, as PyTorch's
/// DistributedDataParallel and Horovod do: rank 0's weights at the start, the batch's loss weight and counts, and the
/// sum of every rank's gradients, fused into buckets of about <see cref="BucketBytes"/> (one MPI allreduce per bucket).
/// </summary>
/// <remarks>
/// Each rank back-propagates the weighted sum of its slice's losses divided by the whole batch's weight, so the
/// summed gradient is the gradient of the global batch's mean loss: what one process computes, up to the order of
/// floating-point additions. Every rank then takes the same optimiser step. The allreduce runs after the backward pass,
/// not overlapped with it: on a CPU the backward pass keeps every core busy, and the shared-memory or TCP allreduce
/// needs the same cores (docs/scaling.md has the measured share of a step).
/// </remarks>
internal static class DataParallel
{
    /// <summary>
    /// The size of a gradient bucket: large enough that an allreduce's latency is small next to its transfer, small
    /// enough to stay in cache (Open MPI's shared-memory allreduce of 4 MB ran at 1.4 GB/s on the 2-core test VM, of
    /// 47 MB at 0.4 GB/s).
    /// </summary>
    public const long BucketBytes = 4L << 20;

    /// <summary>Sums (in place, over every rank) the four numbers a step logs: weighted loss sum, loss weight, correct, count.</summary>
    public static (double LossSum, double Weight, long Correct, long Count) SumStep(ProcessGroup group, double lossSum, double weight, long correct, long count)
    {
        Span<double> values = [lossSum, weight, correct, count];
        group.Sum(values);
        return (values[0], values[1], (long)values[2], (long)values[3]);
    }

    /// <summary>
    /// Replaces every gradient of <paramref name="parameters"/> by its sum over the ranks. A parameter without a gradient
    /// (a rank whose slice of the batch was empty) takes part with zeros, so every rank sums the same tensors. Large
    /// float32 gradients are summed in place, in pieces of at most <see cref="BucketBytes"/>; small ones are fused into
    /// buckets of about that size (a few calls instead of one per bias).
    /// </summary>
    public static void SumGradients(ProcessGroup group, IReadOnlyList<Parameter> parameters)
    {
        using var noGrad = torch.no_grad();
        var bucket = new List<Tensor>();
        long bytes = 0;
        foreach (var p in parameters)
        {
            if (p.grad is null) p.grad = torch.zeros_like(p);
            var grad = p.grad;
            long size = grad.NumberOfElements * sizeof(float);
            if (size >= BucketBytes / 4 && grad.dtype == ScalarType.Float32 && grad.device.type == DeviceType.CPU && grad.is_contiguous())
            {
                var values = MemoryMarshal.Cast<byte, float>(grad.bytes);
                int chunk = (int)(BucketBytes / sizeof(float));
                for (int start = 0; start < values.Length; start += chunk)
                    group.Sum(values.Slice(start, Math.Min(chunk, values.Length - start)));
                continue;
            }
            bucket.Add(grad);
            bytes += size;
            if (bytes >= BucketBytes)
            {
                SumBucket(group, bucket);
                bucket.Clear();
                bytes = 0;
            }
        }
        if (bucket.Count > 0) SumBucket(group, bucket);
    }

    private static void SumBucket(ProcessGroup group, List<Tensor> grads)
    {
        using var scope = NewDisposeScope();
        var flat = torch.cat(grads.Select(g => g.flatten().to(ScalarType.Float32, torch.CPU)).ToList(), 0).contiguous();
        group.Sum(MemoryMarshal.Cast<byte, float>(flat.bytes));
        long offset = 0;
        foreach (var g in grads)
        {
            g.copy_(flat.narrow(0, offset, g.NumberOfElements).view_as(g));
            offset += g.NumberOfElements;
        }
    }

    /// <summary>Copies rank 0's value of every tensor (parameters and buffers) into the other ranks'.</summary>
    public static void BroadcastFromRoot(ProcessGroup group, nn.Module module) => BroadcastFromRoot(group, module.state_dict().Values);

    /// <summary>
    /// Copies rank 0's buffers (BatchNorm's moving statistics) into the other ranks', as DDP's broadcast_buffers does:
    /// BatchNorm layers in training mode normalise each rank's slice by its own statistics and update their moving
    /// statistics from it, so without this every rank would evaluate with other statistics.
    /// </summary>
    public static void BroadcastBuffersFromRoot(ProcessGroup group, nn.Module module) => BroadcastFromRoot(group, module.buffers());

    private static void BroadcastFromRoot(ProcessGroup group, IEnumerable<Tensor> tensors)
    {
        if (group.Size == 1) return;
        using var noGrad = torch.no_grad();
        foreach (var tensor in tensors)
        {
            using var scope = NewDisposeScope();
            var host = tensor.to(torch.CPU).contiguous();
            group.Broadcast(host.bytes);
            if (host.Handle != tensor.Handle) tensor.copy_(host);
        }
    }
}
