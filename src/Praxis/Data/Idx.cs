using System.Buffers.Binary;
using System.IO.Compression;

namespace Praxis.Data;

/// <summary>An IDX file's contents: dimensions and raw unsigned-byte data (the format of MNIST and Fashion-MNIST).</summary>
public sealed class IdxFile
{
    internal IdxFile(int[] dims, byte[] data)
    {
        Dims = dims;
        Data = data;
    }

    /// <summary>The dimensions, outermost first (e.g. 60000, 28, 28).</summary>
    public int[] Dims { get; }

    /// <summary>The elements, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>
    /// The elements as a float tensor, each byte multiplied by <paramref name="scale"/> (1/255 maps pixels to [0, 1]).
    /// The bytes stay compact (<see cref="ScaledByteStorage"/>) until something asks for a writable span.
    /// </summary>
    public Tensor ToTensor(float scale = 1f) => new(new Shape(Dims), new ScaledByteStorage(Data, scale));
}

/// <summary>
/// Reads IDX files (raw or gzip-compressed, detected by content). Everything is validated: the magic number (two zero
/// bytes, type 0x08 = unsigned byte, rank 1–4), positive dimensions, and a data length that matches them exactly.
/// A bad file gives <see cref="InvalidDataException"/> naming the file and the fault.
/// </summary>
public static class Idx
{
    /// <summary>The largest element count accepted (guards against absurd headers).</summary>
    public const long MaxElements = 0x7FFFFFC7; // Array.MaxLength

    /// <summary>
    /// How much a gzip stream is read ahead of proof that the data exists: the buffer starts at this size and grows
    /// (by ×4, up to the declared size) only as decompressed bytes arrive, so a lying header costs at most a few
    /// times the data actually present, never the size it declares.
    /// </summary>
    private const int GzipChunk = 1 << 20;

    /// <summary>Reads and validates an IDX file.</summary>
    public static IdxFile Read(string path) => Read(path, MaxElements);

    /// <summary>
    /// Reads and validates an IDX file holding at most <paramref name="maxElements"/> elements; a header declaring
    /// more is refused before any data is read (a caller that knows what it expects, such as a command reading
    /// images, should pass a tighter bound than <see cref="MaxElements"/>).
    /// </summary>
    public static IdxFile Read(string path, long maxElements)
    {
        if (maxElements is < 1 or > MaxElements) throw new ArgumentOutOfRangeException(nameof(maxElements), maxElements, $"maxElements must be in [1, {MaxElements}].");
        if (Directory.Exists(path)) throw new IOException($"{path}: is a directory, not an IDX file; give the path of the file itself.");
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        using var file = File.OpenRead(path);
        bool gzip = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        try
        {
            using Stream s = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
            return ReadStream(s, path, gzip ? -1 : file.Length, maxElements);
        }
        catch (InvalidDataException e) when (gzip && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: corrupt gzip stream ({e.Message}).", e);
        }
    }

    // Reads the header, then the declared number of bytes. A raw file's size is known, so the declared size is checked
    // against it before anything is allocated; a gzip stream's is not, so it is read in growing chunks (see GzipChunk).
    private static IdxFile ReadStream(Stream s, string path, long rawLength, long maxElements)
    {
        var head = new byte[4];
        int got = ReadFully(s, head);
        int rank = got == 4 ? head[3] : 0;
        if (got < 4 || head[0] != 0 || head[1] != 0 || head[2] != 0x08 || rank is < 1 or > 4)
            return Parse(head.AsSpan(0, got), path); // reports the precise header fault
        var header = new byte[4 + 4 * rank];
        head.CopyTo(header, 0);
        got = ReadFully(s, header.AsSpan(4));
        if (got < 4 * rank) return Parse(header.AsSpan(0, 4 + got), path);
        long count = CheckDims(header, rank, path, out var dims);
        if (count > maxElements)
            throw new InvalidDataException($"{path}: header declares {count} elements ({string.Join("×", dims)}), more than the {maxElements} this reader accepts.");
        if (rawLength >= 0)
        {
            long present = rawLength - header.Length;
            if (present < count)
                throw new InvalidDataException($"{path}: truncated: header declares {count} bytes of data ({string.Join("×", dims)}), found {present}.");
            if (present > count)
                throw new InvalidDataException($"{path}: {present - count} unexpected trailing bytes after {count} bytes of data.");
        }
        byte[] data = rawLength >= 0 ? new byte[count] : new byte[Math.Min(count, GzipChunk)];
        long actual = ReadFully(s, data);
        while (actual == data.Length && data.Length < count)
        {
            // The buffer is full and more is declared: grow only now that its bytes have proved to exist.
            Array.Resize(ref data, (int)Math.Min(count, 4L * data.Length));
            actual += ReadFully(s, data.AsSpan((int)actual));
        }
        if (actual < count)
            throw new InvalidDataException($"{path}: truncated: header declares {count} bytes of data ({string.Join("×", dims)}), found {actual}.");
        if (s.ReadByte() >= 0)
        {
            long extra = 1;
            var sink = new byte[65536];
            int n;
            // Counted up to 1 MiB only: a compressed stream can go on for a long time.
            while (extra <= GzipChunk && (n = s.Read(sink)) > 0) extra += n;
            throw new InvalidDataException($"{path}: {(extra > GzipChunk ? $"more than {GzipChunk}" : extra.ToString())} unexpected trailing bytes after {count} bytes of data.");
        }
        return new IdxFile(dims, data);
    }

    private static int ReadFully(Stream s, Span<byte> buffer)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = s.Read(buffer[total..]);
                if (n == 0) break;
                total += n;
            }
        }
        catch (EndOfStreamException) { }
        return total;
    }

    private static long CheckDims(ReadOnlySpan<byte> bytes, int rank, string source, out int[] dims)
    {
        dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(bytes.Slice(4 + 4 * i));
            if (d <= 0) throw new InvalidDataException($"{source}: dimension {i} is {d}; dimensions must be positive.");
            dims[i] = d;
            count *= d;
            if (count > MaxElements) throw new InvalidDataException($"{source}: header declares more than {MaxElements} elements.");
        }
        return count;
    }

    /// <summary>Parses IDX bytes (already decompressed); <paramref name="source"/> names them in errors.</summary>
    public static IdxFile Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 4) throw new InvalidDataException($"{source}: too short for an IDX header ({bytes.Length} bytes).");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"{source}: wrong magic number 0x{bytes[0]:x2}{bytes[1]:x2}{bytes[2]:x2}{bytes[3]:x2} (an IDX file starts with two zero bytes).");
        if (bytes[2] != 0x08)
            throw new InvalidDataException($"{source}: unsupported IDX element type 0x{bytes[2]:x2} (only 0x08, unsigned byte, is supported).");
        int rank = bytes[3];
        if (rank is < 1 or > 4) throw new InvalidDataException($"{source}: unsupported IDX rank {rank} (expected 1 to 4).");
        int header = 4 + 4 * rank;
        if (bytes.Length < header) throw new InvalidDataException($"{source}: truncated header ({bytes.Length} bytes; rank {rank} needs {header}).");
        long count = CheckDims(bytes, rank, source, out var dims);
        long actual = bytes.Length - header;
        if (actual < count) throw new InvalidDataException($"{source}: truncated: header declares {count} bytes of data ({string.Join("×", dims)}), found {actual}.");
        if (actual > count) throw new InvalidDataException($"{source}: {actual - count} unexpected trailing bytes after {count} bytes of data.");
        return new IdxFile(dims, bytes.Slice(header).ToArray());
    }

    /// <summary>Writes an unsigned-byte IDX file (raw, or gzip when the path ends in <c>.gz</c>); used to make fixtures.</summary>
    public static void Write(string path, int[] dims, ReadOnlySpan<byte> data)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = 0x08;
        header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        using var file = File.Create(path);
        using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Optimal) : file;
        s.Write(header);
        s.Write(data);
    }
}
