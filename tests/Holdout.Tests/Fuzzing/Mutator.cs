namespace Holdout.Tests.Fuzzing;

/// <summary>Seeded mutations of a valid file: bit flips, header damage, truncation, random ranges, odd values, cut and pasted slices.</summary>
internal static class Mutator
{
    private static readonly byte[] Extremes = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];

    /// <summary>The <paramref name="index"/>-th mutant of <paramref name="original"/>: the same index always gives the same bytes.</summary>
    public static byte[] Mutate(byte[] original, int index)
    {
        var random = new Random(unchecked(index * 7919 + original.Length));
        var bytes = (byte[])original.Clone();
        var operations = 1 + random.Next(3);
        for (var o = 0; o < operations && bytes.Length > 0; o++)
        {
            switch (random.Next(8))
            {
                case 0: // a few bits anywhere
                    for (var k = random.Next(1, 5); k > 0; k--)
                    {
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    }
                    break;
                case 1: // a byte in the headers
                    bytes[random.Next(Math.Min(100, bytes.Length))] = (byte)random.Next(256);
                    break;
                case 2: // cut short
                    bytes = bytes[..random.Next(bytes.Length)];
                    break;
                case 3: // a range of random bytes
                    var start = random.Next(bytes.Length);
                    var span = bytes.AsSpan(start, Math.Min(bytes.Length - start, random.Next(1, 33)));
                    random.NextBytes(span);
                    break;
                case 4: // an extreme value
                    bytes[random.Next(bytes.Length)] = Extremes[random.Next(Extremes.Length)];
                    break;
                case 5: // a huge 16- or 32-bit field in the headers (sizes, lengths, counts)
                    var at = random.Next(Math.Max(1, Math.Min(64, bytes.Length - 4)));
                    var width = Math.Min(random.Next(2) == 0 ? 2 : 4, bytes.Length - at);
                    bytes.AsSpan(at, width).Fill((byte)(random.Next(2) == 0 ? 0xFF : 0x7F));
                    break;
                case 6: // a slice pasted again
                    var from = random.Next(bytes.Length);
                    var length = Math.Min(bytes.Length - from, random.Next(1, 200));
                    var into = random.Next(bytes.Length);
                    bytes = [.. bytes[..into], .. bytes.AsSpan(from, length), .. bytes[into..]];
                    break;
                default: // a slice removed
                    var cut = random.Next(bytes.Length);
                    bytes = [.. bytes[..cut], .. bytes[Math.Min(bytes.Length, cut + random.Next(1, 200))..]];
                    break;
            }
        }
        return bytes;
    }
}
