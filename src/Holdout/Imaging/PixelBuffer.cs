using System.Runtime.InteropServices;

namespace Holdout.Imaging;

/// <summary>
/// Native memory reused for decoded pixels by one worker, so decoding does not allocate (and page-fault in) a fresh
/// buffer for every image. Not thread-safe; grows to the largest image seen.
/// </summary>
internal sealed unsafe class PixelBuffer : IDisposable
{
    private void* _memory;
    private long _length;

    /// <summary>A pointer to at least <paramref name="bytes"/> bytes, valid until the next call or dispose.</summary>
    public IntPtr Reserve(long bytes)
    {
        if (bytes > _length)
        {
            NativeMemory.Free(_memory);
            _memory = NativeMemory.Alloc((nuint)bytes);
            _length = bytes;
        }
        return (IntPtr)_memory;
    }

    public void Dispose()
    {
        NativeMemory.Free(_memory);
        _memory = null;
        _length = 0;
    }
}
