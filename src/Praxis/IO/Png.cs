using System.Buffers.Binary;
using System.IO.Compression;

namespace Praxis.IO;

/// <summary>
/// A minimal PNG writer (8-bit grayscale or RGB, no dependencies): enough to save generated samples and image grids from
/// examples. The image data is one zlib stream (<see cref="ZLibStream"/>) in one IDAT chunk, every row with filter 0.
/// </summary>
public static class Png
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];
    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>Encodes an 8-bit grayscale image, <paramref name="pixels"/> row-major (height × width).</summary>
    public static byte[] EncodeGray(ReadOnlySpan<byte> pixels, int width, int height) => Encode(pixels, width, height, channels: 1);

    /// <summary>Encodes an 8-bit RGB image, <paramref name="pixels"/> row-major (height × width × 3: r, g, b).</summary>
    public static byte[] EncodeRgb(ReadOnlySpan<byte> pixels, int width, int height) => Encode(pixels, width, height, channels: 3);

    private static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"PNG size must be positive; got {width}x{height}.");
        long needed = (long)width * height * channels;
        if (pixels.Length != needed)
            throw new ArgumentException(channels == 1
                ? $"PNG {width}x{height} grayscale needs {needed} pixels; got {pixels.Length}."
                : $"PNG {width}x{height} RGB needs {needed} bytes (3 per pixel); got {pixels.Length}.", nameof(pixels));

        int stride = width * channels;
        var raw = new byte[(stride + 1) * height]; // each row: filter byte 0 (None), then the pixels
        for (int y = 0; y < height; y++) pixels.Slice(y * stride, stride).CopyTo(raw.AsSpan(y * (stride + 1) + 1));
        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);

        var png = new MemoryStream();
        png.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = (byte)(channels == 1 ? 0 : 2); // colour type: grayscale or truecolour
        ihdr[10] = 0; // compression: deflate
        ihdr[11] = 0; // filter method 0
        ihdr[12] = 0; // no interlace
        WriteChunk(png, "IHDR"u8, ihdr);
        WriteChunk(png, "IDAT"u8, idat.GetBuffer().AsSpan(0, (int)idat.Length));
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    /// <summary>
    /// Saves images (N, H, W) or (N, H, W, 1) as one grayscale PNG grid of <paramref name="columns"/> columns with a
    /// <paramref name="border"/>-pixel black border; values are mapped linearly from [<paramref name="low"/>,
    /// <paramref name="high"/>] to 0–255 and clipped. The file is written atomically.
    /// </summary>
    public static void SaveGrid(string path, Tensor images, int columns, float low = 0f, float high = 1f, int border = 1)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (!(images.Rank == 3 || (images.Rank == 4 && images.Shape[3] == 1)))
            throw new ShapeMismatchException($"Png.SaveGrid: images must be (N, H, W) or (N, H, W, 1); got {images.Shape}.");
        if (columns <= 0) throw new ArgumentOutOfRangeException(nameof(columns), $"columns must be positive; got {columns}.");
        if (border < 0) throw new ArgumentOutOfRangeException(nameof(border), $"border must be >= 0; got {border}.");
        if (!(high > low)) throw new ArgumentException($"Png.SaveGrid: high ({high}) must be greater than low ({low}).");
        int n = images.Shape[0], h = images.Shape[1], w = images.Shape[2];
        if (n == 0) throw new ArgumentException("Png.SaveGrid: no images.", nameof(images));
        int cols = Math.Min(columns, n), rows = (n + cols - 1) / cols;
        int width = cols * (w + border) + border, height = rows * (h + border) + border;
        var pixels = new byte[width * height];
        var src = images.Span;
        float scale = 255f / (high - low);
        for (int i = 0; i < n; i++)
        {
            int x0 = border + (i % cols) * (w + border), y0 = border + (i / cols) * (h + border);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float v = (src[(i * h + y) * w + x] - low) * scale;
                    pixels[(y0 + y) * width + x0 + x] = (byte)Math.Clamp(MathF.Round(v), 0f, 255f); // NaN → 0
                }
        }
        AtomicFile.WriteAllBytes(path, EncodeGray(pixels, width, height));
    }

    private static void WriteChunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        s.Write(type);
        s.Write(data);
        uint crc = Crc32(Crc32(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu; // the CRC covers type and data, not the length
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        s.Write(word);
    }

    /// <summary>The PNG/zlib CRC-32 (polynomial 0xEDB88320) of <paramref name="data"/>.</summary>
    internal static uint Crc32(ReadOnlySpan<byte> data) => Crc32(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;

    private static uint Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] MakeCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }
}
