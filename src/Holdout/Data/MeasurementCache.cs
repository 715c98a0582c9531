using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Holdout.Imaging;
using Holdout.Native;
using SkiaSharp;

namespace Holdout.Data;

/// <summary>
/// A persistent cache of what <see cref="DatasetDiscovery"/> measures on each image (<see cref="ImageProperties"/>:
/// fingerprint, size, format, statistics), so that a second split, doctor or train on unchanged files does not
/// decode them again. An entry is used only while the file keeps its full path, size and modification time; a
/// dataset folder has one cache file, rewritten atomically after each discovery with the entries of the images it
/// still holds; a cache file that cannot be read is ignored (and replaced); the folder keeps the
/// <see cref="MaxFiles"/> most recently written datasets. The pixel limit is applied to cached entries too. Off
/// unless a scope is open (<see cref="Use"/>): a library call writes nothing to disk by itself; the command-line
/// tool opens one in <see cref="DefaultFolder"/>.
/// </summary>
public static class MeasurementCache
{
    /// <summary>Bump when what is measured, or how images are decoded for it, changes: older cache files are then ignored.</summary>
    private const int FormatVersion = 2;

    /// <summary>How many datasets' cache files the folder keeps (the least recently written go first).</summary>
    public const int MaxFiles = 64;

    private static readonly byte[] Magic = "HOLDOUT-MEASUREMENTS"u8.ToArray();

    private static readonly AmbientSetting<string?> Scoped = new();

    /// <summary>The per-user folder the command-line tool uses: <c>fingerprints</c> in Holdout's cache folder
    /// (<c>$HOLDOUT_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/holdout</c>, else <c>~/.cache/holdout</c>).</summary>
    public static string DefaultFolder => Path.Combine(NativeRuntime.CacheDirectory(), "fingerprints");

    /// <summary>The folder in use here, or null when no scope is open (no caching).</summary>
    public static string? Folder => Scoped.Value;

    /// <summary>Caches measurements in <paramref name="folder"/> for the code that runs until the scope is disposed (its threads and tasks included).</summary>
    /// <param name="folder">Where the cache files go; created when first written.</param>
    /// <returns>Restores the previous setting when disposed.</returns>
    public static IDisposable Use(string folder) => Scoped.Use(Path.GetFullPath(folder));

    /// <summary>The cache of one dataset (null when caching is off).</summary>
    internal static Snapshot? Open(string datasetRoot) =>
        Folder is { } folder ? new Snapshot(Path.Combine(folder, FileName(datasetRoot))) : null;

    private static string FileName(string datasetRoot) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(datasetRoot)))[..24] + ".bin";

    /// <summary>What identifies a file's content without reading it.</summary>
    internal readonly record struct Stamp(long Size, long ModifiedTicks)
    {
        public static Stamp? Of(string path)
        {
            try
            {
                var info = new FileInfo(path);
                return info.Exists ? new Stamp(info.Length, info.LastWriteTimeUtc.Ticks) : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                return null;
            }
        }
    }

    /// <summary>One dataset's cache: the entries read from disk, and the ones measured now.</summary>
    internal sealed class Snapshot
    {
        private readonly string _file;
        private readonly Dictionary<string, (Stamp Stamp, ImageProperties Properties)> _stored;
        private readonly ConcurrentDictionary<string, (Stamp Stamp, ImageProperties Properties)> _current = new(StringComparer.Ordinal);
        private int _changed;

        public Snapshot(string file)
        {
            _file = file;
            _stored = Read(file);
        }

        /// <summary>The cached measurement of <paramref name="path"/> if its stamp still matches.</summary>
        public bool TryGet(string path, Stamp stamp, out ImageProperties? properties)
        {
            if (_stored.TryGetValue(path, out var entry) && entry.Stamp == stamp)
            {
                _current[path] = entry;
                properties = entry.Properties;
                return true;
            }
            properties = null;
            return false;
        }

        /// <summary>Records a fresh measurement, taken of the file as it was at <paramref name="stamp"/>.</summary>
        public void Add(string path, Stamp stamp, ImageProperties properties)
        {
            _current[path] = (stamp, properties);
            Interlocked.Exchange(ref _changed, 1);
        }

        /// <summary>Writes the entries used or measured now (dropping files no longer listed) when anything changed.</summary>
        public void Save()
        {
            if (_changed == 0 && _current.Count == _stored.Count)
            {
                return;
            }
            try
            {
                AtomicFile.Write(_file, stream => Write(stream, _current.OrderBy(e => e.Key, StringComparer.Ordinal)));
                var stale = new DirectoryInfo(Path.GetDirectoryName(_file)!).GetFiles("*.bin")
                    .OrderByDescending(f => f.LastWriteTimeUtc).Skip(MaxFiles);
                foreach (var file in stale)
                {
                    file.Delete();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A cache that cannot be written or pruned only costs the next run its speed.
            }
        }

        private static Dictionary<string, (Stamp, ImageProperties)> Read(string file)
        {
            var entries = new Dictionary<string, (Stamp, ImageProperties)>(StringComparer.Ordinal);
            try
            {
                using var reader = new BinaryReader(File.OpenRead(file), Encoding.UTF8);
                if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadInt32() != FormatVersion)
                {
                    return entries;
                }
                var count = reader.ReadInt32();
                for (var i = 0; i < count; i++)
                {
                    var path = reader.ReadString();
                    var stamp = new Stamp(reader.ReadInt64(), reader.ReadInt64());
                    var fingerprint = new ImageFingerprint(path, reader.ReadInt32(), reader.ReadInt32(), reader.ReadString(), reader.ReadUInt64(), reader.ReadUInt64(), ReadThumbnail(reader));
                    var properties = new ImageProperties(fingerprint, (SKEncodedImageFormat)reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(),
                        reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadBoolean());
                    entries[path] = (stamp, properties);
                }
                return entries;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Missing, unreadable, truncated or corrupt: start afresh.
                entries.Clear();
                return entries;
            }
        }

        private static byte[] ReadThumbnail(BinaryReader reader)
        {
            const int size = PerceptualHash.ThumbnailSize * PerceptualHash.ThumbnailSize;
            var thumbnail = reader.ReadBytes(size);
            return thumbnail.Length == size ? thumbnail : throw new EndOfStreamException("Truncated thumbnail.");
        }

        private static void Write(Stream stream, IEnumerable<KeyValuePair<string, (Stamp Stamp, ImageProperties Properties)>> entries)
        {
            var list = entries.ToList();
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(list.Count);
            foreach (var (path, (stamp, p)) in list)
            {
                var f = p.Fingerprint;
                writer.Write(path);
                writer.Write(stamp.Size);
                writer.Write(stamp.ModifiedTicks);
                writer.Write(f.Width);
                writer.Write(f.Height);
                writer.Write(f.PixelHash);
                writer.Write(f.DifferenceHash);
                writer.Write(f.DctHash);
                writer.Write(f.Thumbnail);
                writer.Write((int)p.Format);
                writer.Write(p.Width);
                writer.Write(p.Height);
                writer.Write(p.Brightness);
                writer.Write(p.Contrast);
                writer.Write(p.Colourfulness);
                writer.Write(p.Grayscale);
            }
        }
    }
}
