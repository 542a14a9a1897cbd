namespace Praxis.IO;

/// <summary>
/// Implemented by layers that draw from a generator of their own (for example a Dropout layer given a seed), so that
/// model files and <c>BackupAndRestore</c> checkpoints record that generator's state and a resumed <c>Fit</c>
/// continues exactly. Layers that use <see cref="Rng.Global"/> need nothing: the global state is saved already.
/// </summary>
public interface IRandomStateful
{
    /// <summary>The layer's own generator, or null when it uses the global one.</summary>
    Rng? OwnRandom { get; }
}
