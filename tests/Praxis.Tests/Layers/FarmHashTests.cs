using System.Text;
using System.Text.Json;
using Praxis.Layers;

namespace Praxis.Tests.Layers;

/// <summary>
/// FarmHash Fingerprint64 against values computed once by Google's C++ farmhash (npm farmhash 5.0.1,
/// Fixtures/make_farmhash_reference.js), and the unsalted Hashing layer against Keras' documented bins.
/// </summary>
public class FarmHashTests
{
    [Fact]
    public void Fingerprint64MatchesGoogleFarmhashAtEveryLength()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "farmhash_reference.json")));
        int n = 0;
        var bad = new List<int>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!;
            ulong expected = ulong.Parse(c.GetProperty("fingerprint64").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            if (expected != FarmHash.Fingerprint64(Encoding.UTF8.GetBytes(text))) bad.Add(n);
            n++;
        }
        // Every length 0..300, multiples of 64 included (128, 192 and 256 are where farmhash-modern, a Rust port,
        // loops once too often; see the fixture script).
        Assert.True(bad.Count == 0, $"lengths that differ from farmhash.cc: {string.Join(", ", bad)}");
        Assert.True(n > 300);
    }

    [Fact]
    public void UnsaltedHashingGivesKerasBins()
    {
        // Keras' Hashing docstring: Hashing(num_bins=3) on A…E → [1, 0, 1, 1, 2]; with mask_value='' on
        // A, B, '', C, D → [1, 1, 0, 2, 2] (tf.strings.to_hash_bucket_fast).
        Assert.Equal([1f, 0f, 1f, 1f, 2f], new Hashing(3).Apply(["A", "B", "C", "D", "E"]).ToArray());
        Assert.Equal([1f, 1f, 0f, 2f, 2f], new Hashing(3, maskValue: "").Apply(["A", "B", "", "C", "D"]).ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HashingOpBinsIntegersLikeTheirTextAndAllocatesNothingPerStep(bool salted)
    {
        var layer = salted ? new Hashing(7, maskValue: "0", salt: [133]) : new Hashing(7, maskValue: "0");
        float[] values = [0, 1, -1, 42, -16777216, 16777216, 123456, 7, -3, 99999];
        var x = Tensor.FromArray(values, 2, 5);
        var op = new HashingOp(x, layer, "Layer 'hashing' (Hashing)");
        op.Forward(); // warm-up
        var got = op.Output.ToArray();
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(layer.Bin(((long)values[i]).ToString(System.Globalization.CultureInfo.InvariantCulture)), (int)got[i]);
        Assert.Equal(0f, got[0]); // the mask value "0"

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 0; step < 50; step++) op.Forward();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void LongStringsHashLikeShortOnes()
    {
        // Bin(string) encodes on the stack up to 256 bytes and on the heap beyond; both paths give the fixture's bins.
        var layer = new Hashing(1000);
        string s300 = new string('x', 300), s80 = new string('y', 80);
        Assert.Equal((int)(FarmHash.Fingerprint64(Encoding.UTF8.GetBytes(s300)) % 1000), layer.Bin(s300));
        Assert.Equal((int)(FarmHash.Fingerprint64(Encoding.UTF8.GetBytes(s80)) % 1000), layer.Bin(s80));
    }
}
