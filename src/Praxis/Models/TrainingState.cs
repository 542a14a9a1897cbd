using Praxis.IO;
using Praxis.Optimizers;

namespace Praxis.Models;

/// <summary>
/// What a <c>Fit</c> call changes, copied at its start so that a call that throws (bad data found late, a failing
/// callback, a layer's error) leaves the model exactly as it found it: every weight's values, the optimizer's state
/// (moments, iterations, learning rate), the global and the layers' own random generators. The copy costs one pass
/// over the weights and optimizer state per Fit call, nothing per step.
/// </summary>
internal sealed class TrainingState
{
    private readonly Tensor[] _weights;
    private readonly float[][] _values;
    private readonly Optimizer? _optimizer;
    private readonly (Dictionary<Tensor, float[][]> Slots, long Iterations, float LearningRate) _optimizerState;
    private readonly Rng _global;
    private readonly string _globalState;
    private readonly (Rng Rng, string State)[] _layerRngs;

    private TrainingState(Model model)
    {
        var ws = model.Weights;
        _weights = new Tensor[ws.Count];
        _values = new float[ws.Count][];
        for (int i = 0; i < ws.Count; i++)
        {
            _weights[i] = ws[i];
            _values[i] = ws[i].ToArray();
        }
        _optimizer = model.Optimizer;
        if (_optimizer != null) _optimizerState = _optimizer.CaptureState();
        _global = Rng.Global;
        _globalState = _global.GetState();
        var rngs = new List<(Rng, string)>();
        foreach (var layer in model.Layers)
            if (layer is IRandomStateful { OwnRandom: { } own }) rngs.Add((own, own.GetState()));
        _layerRngs = [.. rngs];
    }

    public static TrainingState Capture(Model model) => new(model);

    public void Restore(Model model)
    {
        for (int i = 0; i < _weights.Length; i++) _values[i].CopyTo(_weights[i].Span);
        _optimizer?.RestoreState(_optimizerState);
        _global.SetState(_globalState);
        Rng.Global = _global;
        foreach (var (rng, state) in _layerRngs) rng.SetState(state);
        model.StopTraining = false;
    }
}
