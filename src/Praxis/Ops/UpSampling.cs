using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Upsamples channels-last images by integer factors (Keras <c>UpSampling2D</c>): x (N, H, W, C) →
    /// (N, H·sh, W·sw, C). "nearest" repeats each pixel; "bilinear" interpolates with half-pixel centres, as
    /// TensorFlow's <c>tf.image.resize</c> does. The same op as <see cref="Resize(int, int, string)"/>: at an integer
    /// scale the half-pixel nearest rule ⌊(o + ½)/s⌋ is ⌊o/s⌋, pixel repetition.
    /// </summary>
    public Tensor UpSampling2D(Size2 size, string interpolation = "nearest") => UpSampling2D(size, interpolation, "UpSampling2D");

    internal Tensor UpSampling2D(Size2 size, string interpolation, string who)
    {
        size.RequirePositive("size");
        if (Rank != 4)
            throw new ShapeMismatchException($"{who}: expects a 4-D input (batch, height, width, channels); got shape {Shape}.");
        return Engine.Record(new ResizeOp(this, Shape[1] * size.Height, Shape[2] * size.Width, ResizeOp.ParseInterpolation(interpolation, who), who, "UpSampling2D"));
    }
}
