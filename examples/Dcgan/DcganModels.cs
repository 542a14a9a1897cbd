using Praxis.Autograd;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;

namespace Praxis.Examples;

/// <summary>The DCGAN's generator, discriminator and training step, shared by the example and its ONNX export test.</summary>
public static class DcganModels
{
    /// <summary>The latent size.</summary>
    public const int LatentDim = 100;

    /// <summary>
    /// The generator: "tf" is the TensorFlow tutorial's (Dense → BN → LeakyReLU → 5×5 transposed convolutions at strides
    /// 1, 2, 2), "small" the 4×4, two-stage one; <paramref name="width"/> channels at 7×7, halved at each stage.
    /// </summary>
    public static Sequential Generator(string arch, int width) => arch switch
    {
        "tf" => new Sequential(
        [
            new InputLayer([LatentDim]),
            new Dense(7 * 7 * width, useBias: false),
            new BatchNormalization(),
            new LeakyReLU(0.2f),
            new Reshape([7, 7, width]),
            new Conv2DTranspose(width / 2, 5, strides: 1, padding: "same", useBias: false),
            new BatchNormalization(),
            new LeakyReLU(0.2f),
            new Conv2DTranspose(width / 4, 5, strides: 2, padding: "same", useBias: false),
            new BatchNormalization(),
            new LeakyReLU(0.2f),
            new Conv2DTranspose(1, 5, strides: 2, padding: "same", activation: "tanh"),
        ], name: "generator"),
        "small" => new Sequential(
        [
            new InputLayer([LatentDim]),
            new Dense(7 * 7 * width, useBias: false),
            new BatchNormalization(),
            new LeakyReLU(0.2f),
            new Reshape([7, 7, width]),
            new Conv2DTranspose(width / 2, 4, strides: 2, padding: "same", useBias: false),
            new BatchNormalization(),
            new LeakyReLU(0.2f),
            new Conv2DTranspose(1, 4, strides: 2, padding: "same", activation: "tanh"),
        ], name: "generator"),
        _ => throw new ArgumentException($"--g-arch must be 'tf' or 'small'; got '{arch}'."),
    };

    /// <summary>Two strided 4×4 convolutions with LeakyReLU (optionally Dropout after each), then a Dense logit.</summary>
    public static Sequential Discriminator(int width, float dropout) => new(
    [
        new InputLayer([28, 28, 1]),
        new Conv2D(width, 4, strides: 2, padding: "same"),
        new LeakyReLU(0.2f),
        .. (dropout > 0 ? [new Dropout(dropout)] : Array.Empty<Layer>()),
        new Conv2D(2 * width, 4, strides: 2, padding: "same"),
        new LeakyReLU(0.2f),
        .. (dropout > 0 ? [new Dropout(dropout)] : Array.Empty<Layer>()),
        new Flatten(),
        new Dense(1),
    ], name: "discriminator");
}

/// <summary>
/// One GAN step, the loop a PyTorch user writes: the discriminator learns real → 1 and G(z).Detach() → 0; then, with
/// the discriminator frozen, the generator learns D(G(z)) → 1 through the same G(z). Fill <see cref="Real"/> and
/// <see cref="Z"/>, then call <see cref="Run"/>. Each phase is a <see cref="CapturedGraph"/> (recorded on the first
/// step, replayed after) unless <c>eager</c>.
/// </summary>
public sealed class DcganStep
{
    private readonly Sequential _discriminator;
    private readonly Optimizer _optG, _optD;
    private readonly IReadOnlyList<Tensor> _gParams, _dParams;
    private readonly CapturedGraph _dPhase, _gPhase;
    private Tensor _fake = null!;

    /// <summary>Builds the two phases over batch-sized placeholders.</summary>
    public DcganStep(Sequential generator, Sequential discriminator, Optimizer optG, Optimizer optD, int batch, bool eager)
    {
        _discriminator = discriminator;
        (_optG, _optD) = (optG, optD);
        _gParams = generator.TrainableWeights;
        _dParams = discriminator.TrainableWeights;
        Real = new Tensor(new Shape(batch, 28, 28, 1));
        Z = new Tensor(new Shape(batch, DcganModels.LatentDim));
        var ones = Tensor.Ones(batch, 1);
        var zeros = Tensor.Zeros(batch, 1);
        var bce = new BinaryCrossentropy(fromLogits: true);
        // Discriminator: real -> 1, fake -> 0. Detach keeps this backward out of the generator.
        _dPhase = new CapturedGraph(() =>
        {
            _fake = generator.Apply(Z, training: true);
            RealLogits = discriminator.Apply(Real, training: true);
            FakeLogits = discriminator.Apply(_fake.Detach(), training: true);
            return bce.Compute(ones, RealLogits) + bce.Compute(zeros, FakeLogits);
        }, eager);
        // Generator: make the (just updated, now frozen) discriminator say 1 for the same fakes. Frozen, its weights do
        // not require grad, so this backward computes no discriminator weight gradients.
        _gPhase = new CapturedGraph(() => bce.Compute(ones, discriminator.Apply(_fake, training: true)), eager);
    }

    /// <summary>The real images of the batch (in [-1, 1]).</summary>
    public Tensor Real { get; }

    /// <summary>The latents of the batch.</summary>
    public Tensor Z { get; }

    /// <summary>The discriminator's logits for the real images of the last step.</summary>
    public Tensor RealLogits { get; private set; } = null!;

    /// <summary>The discriminator's logits for the fakes of the last step.</summary>
    public Tensor FakeLogits { get; private set; } = null!;

    /// <summary>One discriminator update then one generator update; returns both losses.</summary>
    public (float DLoss, float GLoss) Run()
    {
        var dLoss = _dPhase.Forward();
        _optD.ZeroGrad(_dParams);
        _dPhase.Backward();
        _optD.Step(_dParams);

        _discriminator.Trainable = false;
        var gLoss = _gPhase.Forward();
        _optG.ZeroGrad(_gParams);
        _gPhase.Backward();
        _optG.Step(_gParams);
        _discriminator.Trainable = true;
        return (dLoss.Item(), gLoss.Item());
    }
}
