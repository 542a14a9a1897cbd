using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Praxis.IO;

namespace Praxis.Tests.IO;

public class PngTests
{
    /// <summary>An independent reader: checks the signature, every chunk's CRC (bitwise, no table) and the layout, and inflates the pixels.</summary>
    private static (int Width, int Height, byte[] Pixels) Decode(byte[] png, int channels = 1)
    {
        Assert.Equal(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }, png[..8]);
        int pos = 8, width = 0, height = 0;
        var idat = new MemoryStream();
        var types = new List<string>();
        while (pos < png.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var body = png.AsSpan(pos + 8, len);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + len));
            Assert.Equal(BitwiseCrc(png.AsSpan(pos + 4, len + 4)), crc);
            types.Add(type);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(body);
                height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                // 8-bit gray (colour type 0) or RGB (2), deflate, filter 0, no interlace
                Assert.Equal(new byte[] { 8, (byte)(channels == 1 ? 0 : 2), 0, 0, 0 }, body[8..].ToArray());
            }
            if (type == "IDAT") idat.Write(body);
            pos += 12 + len;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], types);
        idat.Position = 0;
        var raw = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(raw);
        var rows = raw.ToArray();
        int stride = width * channels;
        Assert.Equal((stride + 1) * height, rows.Length);
        var pixels = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, rows[y * (stride + 1)]); // filter type None
            Array.Copy(rows, y * (stride + 1) + 1, pixels, y * stride, stride);
        }
        return (width, height, pixels);
    }

    private static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
        }
        return ~c;
    }

    [Fact]
    public void Crc32MatchesTheStandardCheckValue() => Assert.Equal(0xCBF43926u, Png.Crc32("123456789"u8));

    [Fact]
    public void EncodedGrayImageDecodesToTheSamePixels()
    {
        var pixels = new byte[7 * 5];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 37);
        var (w, h, back) = Decode(Png.EncodeGray(pixels, 7, 5));
        Assert.Equal((7, 5), (w, h));
        Assert.Equal(pixels, back);
    }

    [Fact]
    public void EncodedRgbImageDecodesToTheSamePixels()
    {
        var pixels = new byte[4 * 3 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 53 + 7);
        var (w, h, back) = Decode(Png.EncodeRgb(pixels, 4, 3), channels: 3);
        Assert.Equal((4, 3), (w, h));
        Assert.Equal(pixels, back);
    }

    [Fact]
    public void GridTilesImagesWithBordersAndMapsTheRange()
    {
        // Three 2×3 images in [-1, 1], two columns: a 2×2 grid (last cell empty) with 1-pixel borders.
        var images = Tensor.FromArray([
            -1f, 0f, 1f, -1f, 0f, 1f,
            1f, 1f, 1f, 1f, 1f, 1f,
            -5f, 5f, float.NaN, -1f, -1f, -1f], 3, 2, 3, 1);
        using var dir = new TempDir();
        string path = dir.File("grid.png");
        Png.SaveGrid(path, images, columns: 2, low: -1f, high: 1f);
        var (w, h, px) = Decode(File.ReadAllBytes(path));
        Assert.Equal((2 * 4 + 1, 2 * 3 + 1), (w, h));
        byte At(int x, int y) => px[y * w + x];
        Assert.Equal(new byte[] { 0, 128, 255 }, new[] { At(1, 1), At(2, 1), At(3, 1) }); // image 0, row 0
        Assert.Equal(255, At(5, 2));                                                        // image 1
        Assert.Equal(new byte[] { 0, 255, 0 }, new[] { At(1, 4), At(2, 4), At(3, 4) });   // image 2: clipped, NaN -> 0
        Assert.Equal(0, At(0, 0));  // border
        Assert.Equal(0, At(6, 5));  // the empty cell
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => Png.EncodeGray(new byte[5], 2, 2));
        Assert.Contains("needs 4 pixels; got 5", e.Message);
        e = Assert.Throws<ArgumentException>(() => Png.EncodeRgb(new byte[4], 2, 2));
        Assert.Contains("needs 12 bytes (3 per pixel); got 4", e.Message);
        var s = Assert.Throws<ShapeMismatchException>(() => Png.SaveGrid("x.png", Tensor.Zeros(2, 4, 4, 3), 2));
        Assert.Contains("(2, 4, 4, 3)", s.Message);
    }
}
