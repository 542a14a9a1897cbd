using SkiaSharp;

namespace Praxis.Cli.Plotting;

/// <summary>
/// The typefaces every picture uses: DejaVu Sans, embedded in the assembly (see Fonts/LICENSE-DejaVu.txt). SkiaSharp's
/// self-contained Linux build has no font discovery, and CI machines have no fonts, so without this plots would render
/// without any text. <see cref="Install"/> makes ScottPlot resolve every font name to these typefaces.
/// </summary>
public static class PlotFonts
{
    /// <summary>The family name ScottPlot is told to use.</summary>
    public const string Family = "DejaVu Sans";

    private static readonly Lazy<byte[]> RegularBytes = new(() => Load("DejaVuSans.ttf"));
    private static readonly Lazy<byte[]> BoldBytes = new(() => Load("DejaVuSans-Bold.ttf"));
    private static readonly Lazy<SKTypeface> RegularFace = new(() => Create(RegularBytes.Value));
    private static readonly Lazy<SKTypeface> BoldFace = new(() => Create(BoldBytes.Value));
    private static readonly object Gate = new();
    private static bool _installed;

    /// <summary>DejaVu Sans.</summary>
    public static SKTypeface Regular => RegularFace.Value;

    /// <summary>DejaVu Sans Bold.</summary>
    public static SKTypeface Bold => BoldFace.Value;

    /// <summary>Points ScottPlot at the embedded fonts (idempotent, thread-safe).</summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (_installed) return;
            ScottPlot.Fonts.FontResolvers.Insert(0, new Resolver());
            ScottPlot.Fonts.Default = Family;
            ScottPlot.Fonts.Sans = Family;
            ScottPlot.Fonts.Serif = Family;
            ScottPlot.Fonts.Monospace = Family;
            _installed = true;
        }
    }

    private static byte[] Load(string file)
    {
        string resource = "Praxis.Cli.Fonts." + file;
        using var stream = typeof(PlotFonts).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded font '{resource}' is missing from the praxis assembly.");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }

    private static SKTypeface Create(byte[] bytes) =>
        SKTypeface.FromData(SKData.CreateCopy(bytes)) ?? throw new InvalidOperationException("An embedded font could not be read by SkiaSharp.");

    // ScottPlot asks for "a new instance" and may dispose it, so each request gets its own typeface.
    private sealed class Resolver : ScottPlot.IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => Create(bold ? BoldBytes.Value : RegularBytes.Value);

        public SKTypeface? CreateTypeface(string fontName, ScottPlot.FontWeight weight, ScottPlot.FontSlant slant, ScottPlot.FontSpacing spacing) =>
            Create((int)weight >= 600 ? BoldBytes.Value : RegularBytes.Value);
    }
}
