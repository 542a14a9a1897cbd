using System.Buffers.Binary;
using System.Numerics;

namespace Praxis.Layers;

/// <summary>
/// FarmHash's Fingerprint64 (Geoff Pike's <c>farmhashna::Hash64</c>, which <c>util::Fingerprint64</c> and TensorFlow's
/// <c>tf.strings.to_hash_bucket_fast</c> call): the hash of Keras' unsalted <c>Hashing</c> layer. A fingerprint is
/// fixed by definition (it never changes between versions or machines); this is a managed port of its published
/// algorithm, checked at every length 0..300 against Google's C++ farmhash (npm <c>farmhash</c>,
/// <c>tests/Praxis.Tests/Fixtures/farmhash_reference.json</c>). The loop stops at <c>((len - 1) / 64) * 64</c> as the C++
/// does, so a length that is a multiple of 64 ends with one final-block pass, not a loop pass plus a final pass (the Rust
/// crate behind npm farmhash-modern loops while 64 bytes remain and so differs at 128, 192, 256, ...).
/// </summary>
internal static class FarmHash
{
    private const ulong K0 = 0xc3a5c85c97cb3127UL;
    private const ulong K1 = 0xb492b66fbe98f273UL;
    private const ulong K2 = 0x9ae16a3b2f90404fUL;

    /// <summary>Fingerprint64 of <paramref name="s"/> (for text, its UTF-8 bytes, as TensorFlow's string tensors hold).</summary>
    public static ulong Fingerprint64(ReadOnlySpan<byte> s)
    {
        int len = s.Length;
        if (len <= 16) return HashLen0To16(s);
        if (len <= 32) return HashLen17To32(s);
        if (len <= 64) return HashLen33To64(s);

        // Longer inputs: 64 bytes per round over 56 bytes of state, then the last 64 bytes (overlapping) once more.
        const ulong seed = 81;
        ulong x = seed, y = unchecked(seed * K1 + 113), z = unchecked(ShiftMix(y * K2 + 113) * K2);
        (ulong First, ulong Second) v = (0, 0), w = (0, 0);
        unchecked
        {
            x = x * K2 + F64(s, 0);
            int end = (len - 1) / 64 * 64;
            int last64 = end + ((len - 1) & 63) - 63;
            int p = 0;
            do
            {
                x = Rot(x + y + v.First + F64(s, p + 8), 37) * K1;
                y = Rot(y + v.Second + F64(s, p + 48), 42) * K1;
                x ^= w.Second;
                y += v.First + F64(s, p + 40);
                z = Rot(z + w.First, 33) * K1;
                v = WeakHashLen32WithSeeds(s, p, v.Second * K1, x + w.First);
                w = WeakHashLen32WithSeeds(s, p + 32, z + w.Second, y + F64(s, p + 16));
                (z, x) = (x, z);
                p += 64;
            } while (p != end);
            ulong mul = K1 + ((z & 0xff) << 1);
            p = last64;
            w.First += (ulong)((len - 1) & 63);
            v.First += w.First;
            w.First += v.First;
            x = Rot(x + y + v.First + F64(s, p + 8), 37) * mul;
            y = Rot(y + v.Second + F64(s, p + 48), 42) * mul;
            x ^= w.Second * 9;
            y += v.First * 9 + F64(s, p + 40);
            z = Rot(z + w.First, 33) * mul;
            v = WeakHashLen32WithSeeds(s, p, v.Second * mul, x + w.First);
            w = WeakHashLen32WithSeeds(s, p + 32, z + w.Second, y + F64(s, p + 16));
            (z, x) = (x, z);
            return HashLen16(HashLen16(v.First, w.First, mul) + ShiftMix(y) * K0 + z, HashLen16(v.Second, w.Second, mul) + x, mul);
        }
    }

    private static ulong F64(ReadOnlySpan<byte> s, int i) => BinaryPrimitives.ReadUInt64LittleEndian(s.Slice(i, 8));

    private static ulong F32(ReadOnlySpan<byte> s, int i) => BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(i, 4));

    private static ulong Rot(ulong v, int shift) => BitOperations.RotateRight(v, shift);

    private static ulong ShiftMix(ulong v) => v ^ (v >> 47);

    private static ulong HashLen16(ulong u, ulong v, ulong mul)
    {
        unchecked
        {
            ulong a = (u ^ v) * mul;
            a ^= a >> 47;
            ulong b = (v ^ a) * mul;
            b ^= b >> 47;
            return b * mul;
        }
    }

    private static ulong HashLen0To16(ReadOnlySpan<byte> s)
    {
        int len = s.Length;
        unchecked
        {
            if (len >= 8)
            {
                ulong mul = K2 + (ulong)len * 2;
                ulong a = F64(s, 0) + K2;
                ulong b = F64(s, len - 8);
                ulong c = Rot(b, 37) * mul + a;
                ulong d = (Rot(a, 25) + b) * mul;
                return HashLen16(c, d, mul);
            }
            if (len >= 4)
            {
                ulong mul = K2 + (ulong)len * 2;
                ulong a = F32(s, 0);
                return HashLen16((ulong)len + (a << 3), F32(s, len - 4), mul);
            }
            if (len > 0)
            {
                uint y = s[0] + ((uint)s[len >> 1] << 8);
                uint z = (uint)len + ((uint)s[len - 1] << 2);
                return ShiftMix(y * K2 ^ z * K0) * K2;
            }
            return K2;
        }
    }

    private static ulong HashLen17To32(ReadOnlySpan<byte> s)
    {
        int len = s.Length;
        unchecked
        {
            ulong mul = K2 + (ulong)len * 2;
            ulong a = F64(s, 0) * K1;
            ulong b = F64(s, 8);
            ulong c = F64(s, len - 8) * mul;
            ulong d = F64(s, len - 16) * K2;
            return HashLen16(Rot(a + b, 43) + Rot(c, 30) + d, a + Rot(b + K2, 18) + c, mul);
        }
    }

    private static ulong HashLen33To64(ReadOnlySpan<byte> s)
    {
        int len = s.Length;
        unchecked
        {
            ulong mul = K2 + (ulong)len * 2;
            ulong a = F64(s, 0) * K2;
            ulong b = F64(s, 8);
            ulong c = F64(s, len - 8) * mul;
            ulong d = F64(s, len - 16) * K2;
            ulong y = Rot(a + b, 43) + Rot(c, 30) + d;
            ulong z = HashLen16(y, a + Rot(b + K2, 18) + c, mul);
            ulong e = F64(s, 16) * mul;
            ulong f = F64(s, 24);
            ulong g = (y + F64(s, len - 32)) * mul;
            ulong h = (z + F64(s, len - 24)) * mul;
            return HashLen16(Rot(e + f, 43) + Rot(g, 30) + h, e + Rot(f + a, 18) + g, mul);
        }
    }

    /// <summary>Mixes 32 bytes at <paramref name="p"/> into the pair (a, b).</summary>
    private static (ulong, ulong) WeakHashLen32WithSeeds(ReadOnlySpan<byte> s, int p, ulong a, ulong b)
    {
        ulong w = F64(s, p), x = F64(s, p + 8), y = F64(s, p + 16), z = F64(s, p + 24);
        unchecked
        {
            a += w;
            b = Rot(b + a + z, 21);
            ulong c = a;
            a += x;
            a += y;
            b += Rot(a, 44);
            return (a + z, b + c);
        }
    }
}
