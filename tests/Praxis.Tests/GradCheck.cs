namespace Praxis.Tests;

/// <summary>
/// Central finite-difference gradient checks. The checked scalar is L = Σ out ⊙ R for a fixed random R, so every
/// output element's gradient path is exercised; L is accumulated in double. With float32 forward passes, a step of
/// 1e-3 balances truncation error (∝ eps²) against rounding (∝ 1e-7/eps), so the tolerance is
/// |analytic − numeric| ≤ 3e-3 + 3e-2·|numeric|.
/// </summary>
internal static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => Check(f, 1e-3f, 3e-3, 3e-2, inputs);

    public static void Check(Func<Tensor[], Tensor> f, float eps, double atol, double rtol, params Tensor[] inputs)
    {
        foreach (var t in inputs) t.RequiresGrad = true;
        var outT = f(inputs);
        var rng = new Rng(1234);
        var r = Tensor.RandomUniform(outT.Shape, -1f, 1f, rng);
        var loss = outT.Size == 1 ? outT * r.Reshape([]) : (outT * r).Sum();
        foreach (var t in inputs) t.Grad = null;
        loss.Backward();
        for (int ii = 0; ii < inputs.Length; ii++)
        {
            var x = inputs[ii];
            var analytic = x.Grad?.ToArray() ?? new float[x.Size];
            var s = x.Span;
            for (int i = 0; i < x.Size; i++)
            {
                float old = s[i];
                s[i] = old + eps;
                double lp = Eval(f, inputs, r);
                s[i] = old - eps;
                double lm = Eval(f, inputs, r);
                s[i] = old;
                double numeric = (lp - lm) / (2 * eps);
                double err = Math.Abs(analytic[i] - numeric);
                Assert.True(err <= atol + rtol * Math.Abs(numeric),
                    $"input {ii} element {i}: analytic {analytic[i]:G6} vs numeric {numeric:G6} (shape {x.Shape})");
            }
        }
    }

    private static double Eval(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor r)
    {
        using var _ = Tensor.NoGrad();
        var o = f(inputs).Span;
        var rs = r.Span;
        double sum = 0;
        for (int i = 0; i < o.Length; i++) sum += (double)o[i] * rs[i];
        return sum;
    }

    public static Tensor Rand(Rng rng, params int[] shape) => Tensor.RandomUniform(new Shape(shape), -1f, 1f, rng);

    public static Tensor RandPositive(Rng rng, params int[] shape) => Tensor.RandomUniform(new Shape(shape), 0.5f, 2f, rng);
}
