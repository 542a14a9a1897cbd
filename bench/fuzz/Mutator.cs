using System.Text;
using Praxis.IO;

namespace Praxis.Fuzz;

/// <summary>
/// The mutations the fuzzers apply (one file, linked into tests/Praxis.Tests as well): byte flips and splices, size
/// fields set to extremes, and for JSON text numbers and strings replaced by interesting ones; model files are mutated
/// inside their metadata and re-signed so the mutations get past the checksum.
/// </summary>
internal static class Mutator
{
    internal static readonly byte[] Interesting = "{}[]\":,-0123456789eE.ntf \\"u8.ToArray().Concat(new byte[] { 0, 0xFF, 0x7F, 0x80, 0xC0 }).ToArray();

    internal static readonly string[] Numbers = ["0", "-1", "1", "2", "3", "7", "64", "-2147483648", "2147483647", "2147483648", "1e309", "1.5", "-0", "null", "\"x\"", "[]", "{}", "true", "100000", "16777217"];

    internal static readonly string[] Strings = ["Dense", "Conv2D", "Activation", "InputLayer", "Functional", "Sequential", "Model", "relu", "softmax", "nope", "",
        "dense", "dense_1", "inner", "input_layer", "glorot_uniform", "random_normal", "F32", "F16", "I64", "BOOL", "F33", "__metadata__", "praxis.model",
        "praxis.weights", "adam", "sgd", "accuracy", "mse", "completed", "NaN", "System.IO.File", "\\ud800"];

    internal static byte[] RandomBytes(Random rng)
    {
        var b = new byte[rng.Next(64)];
        rng.NextBytes(b);
        return b;
    }

    /// <summary>One random mutation: byte-level, or token-level for JSON text; sometimes a big-endian or little-endian size field set to an extreme.</summary>
    internal static byte[] Mutate(byte[] seed, Random rng, bool json)
    {
        var b = new List<byte>(seed);
        int edits = 1 + (rng.Next(4) == 0 ? rng.Next(8) : 0);
        for (int k = 0; k < edits; k++)
        {
            if (b.Count == 0) { b.Add((byte)rng.Next(256)); continue; }
            int at = rng.Next(b.Count);
            switch (rng.Next(json ? 11 : 9))
            {
                case 0: b[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b[at] = (byte)rng.Next(256); break;
                case 2: b[at] = Interesting[rng.Next(Interesting.Length)]; break;
                case 3: b.RemoveRange(at, Math.Min(b.Count - at, 1 + rng.Next(16))); break;
                case 4: b.InsertRange(at, Enumerable.Range(0, 1 + rng.Next(8)).Select(_ => Interesting[rng.Next(Interesting.Length)])); break;
                case 5:
                {
                    int len = Math.Min(b.Count - at, 1 + rng.Next(32));
                    b.InsertRange(rng.Next(b.Count), b.GetRange(at, len));
                    break;
                }
                case 6: b.RemoveRange(at, b.Count - at); break;
                case 7:
                {
                    // A size field: the safetensors header length (little-endian, offset 0) or any 4 bytes as a big-endian
                    // count (IDX dimensions, PNG width/height, JPEG lengths).
                    ulong v = rng.Next(5) switch { 0 => ulong.MaxValue, 1 => (ulong)rng.NextInt64(), 2 => (ulong)rng.Next(200), 3 => 0x7FFFFFC7, _ => (ulong)(b.Count + rng.Next(-16, 16)) };
                    int start = rng.Next(2) == 0 ? 0 : at;
                    for (int i = 0; i < 8 && start + i < b.Count; i++) b[start + i] = (byte)(v >> (8 * i));
                    break;
                }
                case 8:
                {
                    uint v = rng.Next(4) switch { 0 => 0x7FFFFFFF, 1 => (uint)rng.Next(), 2 => (uint)rng.Next(70000), _ => 0xFFFFFFFF };
                    for (int i = 0; i < 4 && at + i < b.Count; i++) b[at + i] = (byte)(v >> (24 - 8 * i));
                    break;
                }
                case 9: ReplaceToken(b, rng, number: true); break;
                default: ReplaceToken(b, rng, number: false); break;
            }
        }
        return b.ToArray();
    }

    internal static void ReplaceToken(List<byte> b, Random rng, bool number)
    {
        var text = Encoding.UTF8.GetString(b.ToArray());
        var spans = new List<(int Start, int Length)>();
        for (int i = 0; i < text.Length; i++)
        {
            if (number && (char.IsDigit(text[i]) || text[i] == '-') && (i == 0 || !char.IsLetterOrDigit(text[i - 1])))
            {
                int j = i;
                while (j < text.Length && (char.IsDigit(text[j]) || text[j] is '-' or '.' or 'e' or 'E')) j++;
                spans.Add((i, j - i));
                i = j;
            }
            else if (!number && text[i] == '"')
            {
                int j = text.IndexOf('"', i + 1);
                if (j < 0) break;
                spans.Add((i, j - i + 1));
                i = j;
            }
        }
        if (spans.Count == 0) return;
        var (s, l) = spans[rng.Next(spans.Count)];
        string replacement = number ? Numbers[rng.Next(Numbers.Length)] : "\"" + Strings[rng.Next(Strings.Length)] + "\"";
        var result = Encoding.UTF8.GetBytes(text[..s] + replacement + text[(s + l)..]);
        b.Clear();
        b.AddRange(result);
    }

    /// <summary>Mutates the JSON in a file's metadata and its tensors' names and shapes, re-signing it, so mutations get past the checksum.</summary>
    internal static byte[] MutateModelFile(byte[] file, Random rng)
    {
        var f = SafeTensorsFile.Read(file, "seed");
        var w = new SafeTensorsWriter();
        foreach (var (k, v) in f.Metadata)
        {
            if (k == SafeTensorsFile.ChecksumKey) continue;
            bool mutate = k is "model_config" or "compile_config" or "optimizer_state" or "rng_state" or "format_version" or "layer_rng_states" && rng.Next(3) == 0;
            w.Metadata[k] = mutate ? Encoding.UTF8.GetString(Mutate(Encoding.UTF8.GetBytes(v), rng, json: true)) : v;
        }
        foreach (var t in f.Tensors)
        {
            if (rng.Next(40) == 0) continue; // drop a tensor
            var shape = t.Shape;
            var data = t.ToFloat32();
            if (rng.Next(30) == 0 && shape.Length > 0)
            {
                shape = [.. shape];
                shape[rng.Next(shape.Length)] = 1;
                int n = shape.Aggregate(1, (a, d) => a * d);
                if (n > data.Length) continue;
                data = data[..n];
            }
            w.Add(rng.Next(60) == 0 ? t.Name + "x" : t.Name, shape, data);
        }
        return w.ToArray();
    }
}
