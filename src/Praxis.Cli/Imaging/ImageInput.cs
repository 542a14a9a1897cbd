using Praxis.Data;
using StbImageSharp;

namespace Praxis.Cli.Imaging;

/// <summary>
/// Turns files into model-ready grey images (N, H, W) in [0, 1] with light strokes on a dark background, as MNIST:
/// PNG, JPEG, BMP or GIF (decoded with StbImageSharp, pure managed) or an IDX image file (raw or gzip).
/// </summary>
/// <remarks>
/// A picture that is not already H×W is prepared the way MNIST's digits were: the ink's bounding box is scaled (with
/// area averaging) so its longer side is 20/28 of the frame, and placed so its centre of mass is at the centre. Dark
/// ink on a light background (a scan, a drawing) is inverted first; <see cref="Invert"/> forces either way.
/// </remarks>
public static class ImageInput
{
    /// <summary>Whether to invert images: decide from the border's brightness, always, or never.</summary>
    public enum Invert
    {
        /// <summary>Invert when the border is mostly light.</summary>
        Auto,
        /// <summary>Always invert.</summary>
        Yes,
        /// <summary>Never invert.</summary>
        No,
    }

    /// <summary>What <see cref="Load"/> produced.</summary>
    /// <param name="Images">(N, H, W) in [0, 1].</param>
    /// <param name="Format">PNG, JPEG, BMP, GIF or IDX.</param>
    /// <param name="Notes">What was done to the input (inverted, resized), for the user.</param>
    public sealed record Result(Tensor Images, string Format, IReadOnlyList<string> Notes);

    /// <summary>Reads <paramref name="path"/> and prepares it as (N, <paramref name="height"/>, <paramref name="width"/>).</summary>
    public static Result Load(string path, int height, int width, Invert invert = Invert.Auto)
    {
        if (Directory.Exists(path)) throw new CliException($"{path}: is a folder; give an image file (PNG, JPEG) or an IDX file.");
        if (!File.Exists(path)) throw new CliException($"{path}: no such file.");
        // Only the first bytes are read to tell the format: an IDX file is streamed by Idx.Read under its own bound,
        // and a picture is read whole only when it is small enough to be one.
        byte[] head = new byte[64];
        long length;
        using (var fs = File.OpenRead(path))
        {
            length = fs.Length;
            int n = 0, r;
            while (n < head.Length && (r = fs.Read(head, n, head.Length - n)) > 0) n += r;
            Array.Resize(ref head, n);
        }
        string? format = Sniff(head);
        if (format == null)
            throw new CliException($"{path}: not an image: expected a PNG, JPEG, BMP or GIF picture or an IDX file, but the file starts with {Describe(head)}.");
        if (format == "IDX") return LoadIdx(path, height, width);
        if (length > MaxPictureFileBytes)
            throw new CliException($"{path}: a {format} file of {length:N0} bytes is larger than the {MaxPictureFileBytes:N0} bytes accepted for one picture.");
        return LoadPicture(path, File.ReadAllBytes(path), format, height, width, invert);
    }

    /// <summary>The largest IDX input accepted (64 Mi elements: more than MNIST's 60,000 training images).</summary>
    public const long MaxIdxElements = 64L << 20;

    /// <summary>The largest picture file accepted (32 MiB).</summary>
    public const long MaxPictureFileBytes = 32L << 20;

    /// <summary>
    /// The largest picture accepted, in pixels (8 megapixels): the header's width and height are checked before
    /// decoding, so a tiny file cannot make the decoder allocate gigabytes.
    /// </summary>
    public const long MaxPicturePixels = 8L << 20;

    /// <summary>The format from the first bytes, or null.</summary>
    public static string? Sniff(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 8 && b[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A })) return "PNG";
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "JPEG";
        if (b.Length >= 2 && b[0] == (byte)'B' && b[1] == (byte)'M') return "BMP";
        if (b.Length >= 4 && b[..4].SequenceEqual("GIF8"u8)) return "GIF";
        if (b.Length >= 2 && b[0] == 0x1F && b[1] == 0x8B) return "IDX"; // gzip: only IDX is read compressed; Idx.Read validates
        if (b.Length >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0x08 && b[3] is >= 1 and <= 4) return "IDX";
        return null;
    }

    private static string Describe(byte[] b)
    {
        if (b.Length == 0) return "nothing (it is empty)";
        var head = string.Join(' ', b.Take(8).Select(x => x.ToString("X2")));
        bool text = b.Take(64).All(x => x is 9 or 10 or 13 or (>= 32 and < 127));
        return $"bytes {head}{(text ? " (it looks like text)" : "")}";
    }

    private static Result LoadIdx(string path, int height, int width)
    {
        IdxFile idx;
        try { idx = Idx.Read(path, MaxIdxElements); }
        catch (InvalidDataException e) { throw new CliException(e.Message); }
        int n = idx.Dims.Length switch
        {
            3 when idx.Dims[1] == height && idx.Dims[2] == width => idx.Dims[0],
            2 when idx.Dims[0] == height && idx.Dims[1] == width => 1,
            _ => throw new CliException($"{path}: IDX file of shape ({string.Join(", ", idx.Dims)}); expected images of shape (N, {height}, {width}) or ({height}, {width})."),
        };
        return new Result(idx.ToTensor(1f / 255f).Reshape(n, height, width), "IDX", []);
    }

    private static Result LoadPicture(string path, byte[] bytes, string format, int height, int width, Invert invert)
    {
        if (format == "JPEG") CheckJpegSegments(path, bytes);
        if (format == "PNG") CheckPngChunks(path, bytes);
        ImageResult img;
        try
        {
            using (var ms = new MemoryStream(bytes, writable: false))
            {
                var info = ImageInfo.FromStream(ms)
                    ?? throw new InvalidOperationException("the header could not be read");
                if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > MaxPicturePixels)
                    throw new CliException($"{path}: the {format} header says {info.Width}x{info.Height} pixels; at most {MaxPicturePixels:N0} pixels are accepted (scale the picture down).");
            }
            img = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlueAlpha);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException or IOException or OverflowException)
        {
            throw new CliException($"{path}: the {format} data could not be decoded ({e.Message}); the file may be damaged.");
        }
        int h = img.Height, w = img.Width;
        var grey = new float[h * w];
        var d = img.Data;
        for (int i = 0; i < grey.Length; i++)
        {
            // Luma (ITU-R BT.601) composited over white, so transparent canvas reads as light paper.
            float a = d[4 * i + 3] / 255f;
            float y = (0.299f * d[4 * i] + 0.587f * d[4 * i + 1] + 0.114f * d[4 * i + 2]) / 255f;
            grey[i] = a * y + (1 - a);
        }
        var notes = new List<string>();
        bool doInvert = invert switch { Invert.Yes => true, Invert.No => false, _ => BorderMean(grey, h, w) > 0.5f };
        if (doInvert)
        {
            for (int i = 0; i < grey.Length; i++) grey[i] = 1 - grey[i];
            notes.Add("inverted (dark ink on a light background became light on dark, as in MNIST)");
        }
        float[] result;
        if (h == height && w == width) result = grey;
        else
        {
            result = Normalise(grey, h, w, height, width, path);
            notes.Add($"{w}x{h} picture: ink cropped, scaled to fit {width * 20 / 28}x{height * 20 / 28} and centred by mass in {width}x{height}");
        }
        return new Result(Tensor.FromArray(result, 1, height, width), format, notes);
    }

    /// <summary>
    /// Walks a JPEG's marker segments up to the scan data, checking that every declared length fits in the file:
    /// StbImageSharp loops forever when a segment's length runs past the end (found by bench/fuzz).
    /// </summary>
    private static void CheckJpegSegments(string path, byte[] b)
    {
        int i = 2;
        while (true)
        {
            if (i + 1 >= b.Length || b[i] != 0xFF)
                throw new CliException($"{path}: the JPEG data is damaged (no marker at byte {i}, before any image data).");
            while (i + 1 < b.Length && b[i + 1] == 0xFF) i++; // fill bytes
            if (i + 1 >= b.Length) throw new CliException($"{path}: the JPEG data ends before any image data (truncated).");
            byte m = b[i + 1];
            if (m is 0x01 or (>= 0xD0 and <= 0xD8)) { i += 2; continue; } // markers without a length
            if (m == 0xD9) throw new CliException($"{path}: the JPEG data ends (EOI) before any image data.");
            if (i + 3 >= b.Length) throw new CliException($"{path}: the JPEG data ends inside a segment header (truncated).");
            int len = (b[i + 2] << 8) | b[i + 3];
            if (len < 2 || i + 2 + len > b.Length)
                throw new CliException($"{path}: the JPEG segment 0xFF{m:X2} at byte {i} declares {len} bytes, but the file ends at byte {b.Length} (truncated or damaged).");
            if (m == 0xDA) return; // start of scan: the entropy-coded data follows
            i += 2 + len;
        }
    }

    /// <summary>Walks a PNG's chunks, checking that each declared length fits in the file (the decoder seeks by them unchecked).</summary>
    private static void CheckPngChunks(string path, byte[] b)
    {
        long i = 8;
        while (true)
        {
            if (i + 8 > b.Length) throw new CliException($"{path}: the PNG data could not be decoded: it ends at byte {b.Length} without an IEND chunk (truncated or damaged).");
            long len = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan((int)i));
            if (len > int.MaxValue || i + 12 + len > b.Length)
                throw new CliException($"{path}: the PNG data could not be decoded: the chunk at byte {i} declares {len} bytes, but the file ends at byte {b.Length} (truncated or damaged).");
            if (b.AsSpan((int)i + 4, 4).SequenceEqual("IEND"u8)) return;
            i += 12 + len;
        }
    }

    private static float BorderMean(float[] g, int h, int w)
    {
        double sum = 0;
        int count = 0;
        for (int x = 0; x < w; x++) { sum += g[x] + g[(h - 1) * w + x]; count += 2; }
        for (int y = 1; y < h - 1; y++) { sum += g[y * w] + g[y * w + w - 1]; count += 2; }
        return count == 0 ? 0 : (float)(sum / count);
    }

    /// <summary>MNIST-style framing: crop to the ink, scale the longer side to 20/28 of the frame, centre by mass.</summary>
    private static float[] Normalise(float[] g, int h, int w, int outH, int outW, string path)
    {
        float max = 0;
        foreach (float v in g) max = Math.Max(max, v);
        if (max < 0.1f) throw new CliException($"{path}: the picture looks blank (no strokes found after conversion to grey).");
        float threshold = 0.2f * max;
        int top = h, bottom = -1, left = w, right = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (g[y * w + x] > threshold)
                {
                    top = Math.Min(top, y); bottom = Math.Max(bottom, y);
                    left = Math.Min(left, x); right = Math.Max(right, x);
                }
        int ch = bottom - top + 1, cw = right - left + 1;
        double scale = Math.Min(outH * 20.0 / 28 / ch, outW * 20.0 / 28 / cw);
        int sh = Math.Max(1, (int)Math.Round(ch * scale)), sw = Math.Max(1, (int)Math.Round(cw * scale));
        var small = AreaResize(g, w, left, top, cw, ch, sw, sh);

        // Centre of mass of the scaled ink goes to the frame's centre.
        double mx = 0, my = 0, mass = 0;
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++)
            {
                double v = small[y * sw + x];
                mx += v * (x + 0.5); my += v * (y + 0.5); mass += v;
            }
        int ox = (int)Math.Round(outW / 2.0 - mx / mass), oy = (int)Math.Round(outH / 2.0 - my / mass);
        ox = Math.Clamp(ox, 0, outW - sw);
        oy = Math.Clamp(oy, 0, outH - sh);
        var result = new float[outH * outW];
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++)
                result[(y + oy) * outW + x + ox] = Math.Clamp(small[y * sw + x], 0, 1);
        return result;
    }

    /// <summary>Resamples the region (x0, y0, cw, ch) of a w-wide image to dw×dh by averaging the covered area (or bilinear when enlarging).</summary>
    internal static float[] AreaResize(float[] src, int w, int x0, int y0, int cw, int ch, int dw, int dh)
    {
        var dst = new float[dw * dh];
        double sx = (double)cw / dw, sy = (double)ch / dh;
        for (int ty = 0; ty < dh; ty++)
        {
            double fy0 = ty * sy, fy1 = fy0 + sy;
            for (int tx = 0; tx < dw; tx++)
            {
                double fx0 = tx * sx, fx1 = fx0 + sx;
                double sum = 0, area = 0;
                for (int y = (int)fy0; y < Math.Min(ch, (int)Math.Ceiling(fy1)); y++)
                {
                    double wy = Math.Min(fy1, y + 1) - Math.Max(fy0, y);
                    if (wy <= 0) continue;
                    for (int x = (int)fx0; x < Math.Min(cw, (int)Math.Ceiling(fx1)); x++)
                    {
                        double wx = Math.Min(fx1, x + 1) - Math.Max(fx0, x);
                        if (wx <= 0) continue;
                        sum += wx * wy * src[(y0 + y) * w + x0 + x];
                        area += wx * wy;
                    }
                }
                dst[ty * dw + tx] = area > 0 ? (float)(sum / area) : 0f;
            }
        }
        return dst;
    }
}
