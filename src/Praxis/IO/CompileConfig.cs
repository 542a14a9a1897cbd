using System.Text.Json;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Metrics;
using Praxis.Optimizers;

namespace Praxis.IO;

/// <summary>
/// How <c>Model.Compile</c>'s optimizer, loss and metrics are saved (Keras' <c>compile_config</c>):
/// <c>{"optimizer": {"class_name": "adam", "config": {…}}, "loss": {"class_name": …, "config": {…}}, "metrics": [names]}</c>.
/// Built-in optimizers and losses are rebuilt with their hyper-parameters; register your own with
/// <see cref="RegisterOptimizer"/> and <see cref="RegisterLoss"/>. A <see cref="LearningRateSchedule"/> assigned to
/// <see cref="Optimizer.Schedule"/> is saved in place of the learning rate, as Keras does (register your own with
/// <see cref="RegisterSchedule"/>); any other delegate is code and is not saved: set it again after loading.
/// </summary>
public static class CompileConfig
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, Func<LayerConfig, Optimizer>> Optimizers = new(StringComparer.OrdinalIgnoreCase)
    {
        // Each default comes from a default-constructed optimizer, so the numbers live only in the optimizers' constructors.
        ["adam"] = c => FromDefaults(new Adam(), d => new Adam(Lr(c, d), c.GetFloat("beta_1", d.Beta1), c.GetFloat("beta_2", d.Beta2), c.GetFloat("epsilon", d.Epsilon))),
        ["adamw"] = c => FromDefaults(new AdamW(), d => new AdamW(Lr(c, d), c.GetFloat("weight_decay", d.WeightDecay), c.GetFloat("beta_1", d.Beta1),
            c.GetFloat("beta_2", d.Beta2), c.GetFloat("epsilon", d.Epsilon))),
        ["sgd"] = c => FromDefaults(new SGD(), d => new SGD(Lr(c, d), c.GetFloat("momentum", d.Momentum), c.GetBool("nesterov", d.Nesterov))),
        ["rmsprop"] = c => FromDefaults(new RMSprop(), d => new RMSprop(Lr(c, d), c.GetFloat("rho", d.Rho), c.GetFloat("epsilon", d.Epsilon))),
        ["adamax"] = c => FromDefaults(new Adamax(), d => new Adamax(Lr(c, d), c.GetFloat("beta_1", d.Beta1), c.GetFloat("beta_2", d.Beta2), c.GetFloat("epsilon", d.Epsilon))),
        ["nadam"] = c => FromDefaults(new Nadam(), d => new Nadam(Lr(c, d), c.GetFloat("beta_1", d.Beta1), c.GetFloat("beta_2", d.Beta2), c.GetFloat("epsilon", d.Epsilon))),
        ["adagrad"] = c => FromDefaults(new Adagrad(), d => new Adagrad(Lr(c, d), c.GetFloat("initial_accumulator_value", d.InitialAccumulatorValue), c.GetFloat("epsilon", d.Epsilon))),
        ["adadelta"] = c => FromDefaults(new Adadelta(), d => new Adadelta(Lr(c, d), c.GetFloat("rho", d.Rho), c.GetFloat("epsilon", d.Epsilon))),
        ["lion"] = c => FromDefaults(new Lion(), d => new Lion(Lr(c, d), c.GetFloat("beta_1", d.Beta1), c.GetFloat("beta_2", d.Beta2))),
    };

    /// <summary>The library's optimizer names (before any <see cref="RegisterOptimizer"/>), for tests.</summary>
    internal static readonly IReadOnlyList<string> OptimizerNames = [.. Optimizers.Keys];

    // A learning rate saved as a schedule ({"class_name", "config"}) is set as the optimizer's Schedule after it is built.
    private static float Lr(LayerConfig c, Optimizer defaults) =>
        c.Raw.TryGetProperty("learning_rate", out var e) && e.ValueKind == JsonValueKind.Object ? defaults.LearningRate : c.GetFloat("learning_rate", defaults.LearningRate);

    private static Optimizer FromDefaults<T>(T defaults, Func<T, Optimizer> build) where T : Optimizer => build(defaults);

    private static readonly Dictionary<string, Func<LayerConfig, LearningRateSchedule>> Schedules = new(StringComparer.Ordinal)
    {
        ["CosineDecay"] = c => new CosineDecay(ReqD(c, "initial_learning_rate"), Long(c, "decay_steps"), c.GetDouble("alpha", 0),
            c.Has("warmup_target") ? c.GetDouble("warmup_target", 0) : null, Long(c, "warmup_steps", 0)),
        ["ExponentialDecay"] = c => new ExponentialDecay(ReqD(c, "initial_learning_rate"), Long(c, "decay_steps"), ReqD(c, "decay_rate"), c.GetBool("staircase", false)),
        ["InverseTimeDecay"] = c => new InverseTimeDecay(ReqD(c, "initial_learning_rate"), Long(c, "decay_steps"), ReqD(c, "decay_rate"), c.GetBool("staircase", false)),
        ["PolynomialDecay"] = c => new PolynomialDecay(ReqD(c, "initial_learning_rate"), Long(c, "decay_steps"), c.GetDouble("end_learning_rate", 1e-4),
            c.GetDouble("power", 1.0), c.GetBool("cycle", false)),
        ["PiecewiseConstantDecay"] = c => new PiecewiseConstantDecay(Array.ConvertAll(Doubles(c, "boundaries"), b => (long)b), Doubles(c, "values")),
        ["CosineDecayRestarts"] = c => new CosineDecayRestarts(ReqD(c, "initial_learning_rate"), Long(c, "first_decay_steps"), c.GetDouble("t_mul", 2.0),
            c.GetDouble("m_mul", 1.0), c.GetDouble("alpha", 0.0)),
    };

    private static double ReqD(LayerConfig c, string key) => c.Has(key) ? c.GetDouble(key, 0) : throw c.Error($"needs '{key}'.");

    private static long Long(LayerConfig c, string key, long? fallback = null)
    {
        if (!c.Has(key)) return fallback ?? throw c.Error($"needs '{key}'.");
        var e = c.Raw.GetProperty(key);
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) ? v : throw c.Error($"'{key}' must be an integer; got {SafeTensorsFile.Clip(e.GetRawText())}.");
    }

    private static double[] Doubles(LayerConfig c, string key)
    {
        if (!c.Has(key)) throw c.Error($"needs '{key}'.");
        var e = c.Raw.GetProperty(key);
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() > 4096) throw c.Error($"'{key}' must be an array of at most 4096 numbers.");
        var r = new double[e.GetArrayLength()];
        int i = 0;
        foreach (var v in e.EnumerateArray())
            r[i++] = v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d) ? d : throw c.Error($"'{key}' must hold finite numbers; got {SafeTensorsFile.Clip(v.GetRawText())}.");
        return r;
    }

    /// <summary>The schedule class names a compile config can load (for the Keras-name checks).</summary>
    internal static string[] ScheduleClassNames { get { lock (Gate) return [.. Schedules.Keys]; } }

    /// <summary>The metric class names a compile config can load.</summary>
    internal static string[] MetricClassNames { get { lock (Gate) return [.. Metrics.Keys]; } }

    /// <summary>Registers a factory for a learning-rate schedule saved under <paramref name="name"/> (its <see cref="LearningRateSchedule.ClassName"/>).</summary>
    public static void RegisterSchedule(string name, Func<LayerConfig, LearningRateSchedule> factory)
    {
        lock (Gate) Schedules[name] = factory;
    }

    private static readonly Dictionary<string, Func<LayerConfig, Loss>> Losses = new(StringComparer.OrdinalIgnoreCase)
    {
        ["categorical_crossentropy"] = c => new CategoricalCrossentropy(c.GetBool("from_logits", false), c.GetFloat("label_smoothing", 0f), Reduction(c)),
        ["sparse_categorical_crossentropy"] = c => new SparseCategoricalCrossentropy(c.GetBool("from_logits", false), Reduction(c)),
        ["binary_crossentropy"] = c => new BinaryCrossentropy(c.GetBool("from_logits", false), c.GetFloat("label_smoothing", 0f), Reduction(c)),
        ["mean_squared_error"] = c => new MeanSquaredError(Reduction(c)),
        ["mean_absolute_error"] = c => new MeanAbsoluteError(Reduction(c)),
        ["huber"] = c => new Huber(c.GetFloat("delta", 1f), Reduction(c)),
        ["log_cosh"] = c => new LogCosh(Reduction(c)),
        ["kl_divergence"] = c => new KLDivergence(Reduction(c)),
        ["cosine_similarity"] = c => new CosineSimilarity(Reduction(c)),
        ["hinge"] = c => new Hinge(Reduction(c)),
        ["squared_hinge"] = c => new SquaredHinge(Reduction(c)),
        ["poisson"] = c => new Poisson(Reduction(c)),
        ["binary_focal_crossentropy"] = c => new BinaryFocalCrossentropy(c.GetBool("apply_class_balancing", false), c.GetFloat("alpha", 0.25f),
            c.GetFloat("gamma", 2f), c.GetBool("from_logits", false), c.GetFloat("label_smoothing", 0f), Reduction(c)),
        ["categorical_focal_crossentropy"] = c => new CategoricalFocalCrossentropy(c.GetFloat("alpha", 0.25f), c.GetFloat("gamma", 2f),
            c.GetBool("from_logits", false), c.GetFloat("label_smoothing", 0f), Reduction(c)),
    };

    // Files written before losses had a reduction hold none: the default then.
    private static string Reduction(LayerConfig c) =>
        c.GetChoice("reduction", Loss.DefaultReduction, "sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none");

    private static readonly Dictionary<string, Func<LayerConfig, Metric>> Metrics = new(StringComparer.Ordinal)
    {
        ["AUC"] = c => new AUC(c.GetInt("num_thresholds", 200), c.GetChoice("curve", "ROC", "ROC", "PR"),
            c.GetChoice("summation_method", "interpolation", "interpolation", "minoring", "majoring"), c.GetString("name", "auc"), c.GetBool("from_logits", false)),
        ["Precision"] = c => new Precision(Floats(c, "thresholds"), c.GetOptionalInt("top_k"), c.GetOptionalInt("class_id"), c.GetString("name", "precision")),
        ["Recall"] = c => new Recall(Floats(c, "thresholds"), c.GetOptionalInt("top_k"), c.GetOptionalInt("class_id"), c.GetString("name", "recall")),
        ["FBetaScore"] = c => new FBetaScore(c.GetOptionalString("average"), c.GetFloat("beta", 1f), c.Has("threshold") ? c.GetFloat("threshold") : null, c.GetString("name", "fbeta_score")),
        ["F1Score"] = c => new F1Score(c.GetOptionalString("average"), c.Has("threshold") ? c.GetFloat("threshold") : null, c.GetString("name", "f1_score")),
        ["TopKCategoricalAccuracy"] = c => new TopKCategoricalAccuracy(c.GetInt("k", 5), c.GetString("name", "top_k_categorical_accuracy")),
        ["SparseTopKCategoricalAccuracy"] = c => new SparseTopKCategoricalAccuracy(c.GetInt("k", 5), c.GetString("name", "sparse_top_k_categorical_accuracy")),
        ["MeanIoU"] = c => new MeanIoU(c.GetInt("num_classes"), c.GetString("name", "mean_io_u"), c.GetOptionalInt("ignore_class"),
            c.GetBool("sparse_y_true", true), c.GetBool("sparse_y_pred", true)),
        ["BinaryAccuracy"] = c => new BinaryAccuracy(c.GetString("name", "binary_accuracy"), c.GetFloat("threshold", 0.5f)),
    };

    // A short list of numbers (thresholds); the length is bounded so a hostile file cannot ask for a huge array.
    private static float[]? Floats(LayerConfig c, string key)
    {
        if (!c.Has(key)) return null;
        var e = c.Raw.GetProperty(key);
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() > 4096) throw c.Error($"'{key}' must be an array of at most 4096 numbers.");
        var r = new float[e.GetArrayLength()];
        int i = 0;
        foreach (var v in e.EnumerateArray())
            r[i++] = v.ValueKind == JsonValueKind.Number && v.TryGetSingle(out float f) ? f : throw c.Error($"'{key}' must hold numbers; got {SafeTensorsFile.Clip(v.GetRawText())}.");
        return r;
    }

    /// <summary>Registers a factory for a metric saved as <c>{"class_name": name, "config"}</c> (its type name; a metric whose <see cref="Metric.GetConfig"/> is not null).</summary>
    public static void RegisterMetric(string name, Func<LayerConfig, Metric> factory)
    {
        lock (Gate) Metrics[name] = factory;
    }

    /// <summary>Registers a factory for an optimizer saved under <paramref name="name"/> (its <see cref="Optimizer.Name"/>).</summary>
    public static void RegisterOptimizer(string name, Func<LayerConfig, Optimizer> factory)
    {
        lock (Gate) Optimizers[name] = factory;
    }

    /// <summary>Registers a factory for a loss saved under <paramref name="name"/> (its <see cref="Loss.Name"/>).</summary>
    public static void RegisterLoss(string name, Func<LayerConfig, Loss> factory)
    {
        lock (Gate) Losses[name] = factory;
    }

    /// <summary>
    /// The compile settings of <paramref name="model"/> as JSON: <c>optimizer</c>, <c>loss</c> (one for every output, or
    /// null), and for a model compiled per output <c>losses</c> (one entry or null per output), <c>loss_weights</c> and
    /// <c>output_metrics</c> (names per output); <c>metrics</c> holds the single-output metric names. Weighted metrics
    /// (Keras <c>weighted_metrics</c>) are <c>weighted_metrics</c> or, per output, <c>output_weighted_metrics</c>, written
    /// only when there are any.
    /// </summary>
    internal static string ToJson(Optimizer optimizer, Models.Model model)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartObject("optimizer");
            w.WriteString("class_name", optimizer.Name);
            var oc = optimizer.GetConfig();
            if (optimizer.ClipValue is float cv) oc["clipvalue"] = cv;
            if (optimizer.ClipNorm is float cn) oc["clipnorm"] = cn;
            if (optimizer.GlobalClipNorm is float gn) oc["global_clipnorm"] = gn;
            // Keras saves a schedule in place of the rate; a plain delegate is code and cannot be saved.
            if (optimizer.Schedule?.Target is LearningRateSchedule schedule)
                oc["learning_rate"] = new Dictionary<string, object?> { ["class_name"] = schedule.ClassName, ["config"] = schedule.GetConfig() };
            w.WritePropertyName("config");
            ConfigJson.WriteObject(w, oc, "optimizer config");
            w.WriteEndObject();
            w.WritePropertyName("loss");
            WriteLoss(w, model.Loss);
            var losses = model.Losses;
            bool perOutput = losses.Count > 1;
            if (perOutput && model.Loss == null)
            {
                w.WriteStartArray("losses");
                foreach (var l in losses) WriteLoss(w, l);
                w.WriteEndArray();
            }
            if (model.LossWeights.Any(x => x != 1f))
            {
                w.WriteStartArray("loss_weights");
                foreach (var x in model.LossWeights) w.WriteNumberValue(x);
                w.WriteEndArray();
            }
            w.WriteStartArray("metrics");
            if (!perOutput) foreach (var m in model.FlatMetrics) WriteMetric(w, m);
            w.WriteEndArray();
            if (perOutput)
            {
                w.WriteStartArray("output_metrics");
                foreach (var outputMetrics in model.OutputMetrics)
                {
                    w.WriteStartArray();
                    foreach (var m in outputMetrics) WriteMetric(w, m);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            // Only when given, so files compiled without weighted metrics keep their exact bytes.
            if (!perOutput && model.FlatWeightedMetrics.Count > 0)
            {
                w.WriteStartArray("weighted_metrics");
                foreach (var m in model.FlatWeightedMetrics) WriteMetric(w, m);
                w.WriteEndArray();
            }
            if (perOutput && model.OutputWeightedMetrics.Any(l => l.Count > 0))
            {
                w.WriteStartArray("output_weighted_metrics");
                foreach (var outputMetrics in model.OutputWeightedMetrics)
                {
                    w.WriteStartArray();
                    foreach (var m in outputMetrics) WriteMetric(w, m);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    // A metric with arguments is {"class_name", "config"}; one rebuilt from its name alone stays a plain name.
    private static void WriteMetric(Utf8JsonWriter w, Metric m)
    {
        if (m.GetConfig() is not { } config) { w.WriteStringValue(m.Name); return; }
        w.WriteStartObject();
        w.WriteString("class_name", m.GetType().Name);
        w.WritePropertyName("config");
        ConfigJson.WriteObject(w, config, "metric config");
        w.WriteEndObject();
    }

    private static void WriteLoss(Utf8JsonWriter w, Loss? loss)
    {
        if (loss == null) { w.WriteNullValue(); return; }
        w.WriteStartObject();
        w.WriteString("class_name", loss.Name);
        w.WritePropertyName("config");
        ConfigJson.WriteObject(w, loss.GetConfig(), "loss config");
        w.WriteEndObject();
    }

    /// <summary>Parses a compile config written by <see cref="ToJson"/>; every fault is an <see cref="InvalidDataException"/> naming <paramref name="source"/>.</summary>
    internal static CompileSettings FromJson(string json, string source)
    {
        var ctx = new SerializationContext(source, 0);
        JsonEscapes.Check(System.Text.Encoding.UTF8.GetBytes(json), f => new InvalidDataException($"{source}: compile_config: {f}."));
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: compile_config must be a JSON object.");
            var optimizer = Build(root, "optimizer", Optimizers, source, ctx);
            var o = new LayerConfig(source, optimizer.Name, root.GetProperty("optimizer").GetProperty("config"), ctx);
            // The setters refuse what the constructor would (a non-positive clip norm); say so in the file's terms.
            try
            {
                if (o.Has("clipvalue")) optimizer.ClipValue = o.GetFloat("clipvalue");
                if (o.Has("clipnorm")) optimizer.ClipNorm = o.GetFloat("clipnorm");
                if (o.Has("global_clipnorm")) optimizer.GlobalClipNorm = o.GetFloat("global_clipnorm");
            }
            catch (ArgumentException e) { throw new InvalidDataException($"{source}: compile_config optimizer '{SafeTensorsFile.Clip(optimizer.Name)}': {e.Message}", e); }
            if (o.Raw.TryGetProperty("learning_rate", out var lre) && lre.ValueKind == JsonValueKind.Object)
                optimizer.Schedule = BuildFrom(lre, "optimizer learning_rate schedule", Schedules, source, ctx);
            Loss? loss = root.TryGetProperty("loss", out var le) && le.ValueKind == JsonValueKind.Null ? null : Build(root, "loss", Losses, source, ctx);
            Loss?[]? losses = null;
            if (root.TryGetProperty("losses", out var ls) && ls.ValueKind != JsonValueKind.Null)
            {
                if (ls.ValueKind != JsonValueKind.Array || ls.GetArrayLength() > 1024) throw new InvalidDataException($"{source}: compile_config losses must be an array (one entry per output).");
                var list = new List<Loss?>();
                foreach (var e in ls.EnumerateArray()) list.Add(e.ValueKind == JsonValueKind.Null ? null : BuildFrom(e, "losses entry", Losses, source, ctx));
                losses = [.. list];
            }
            float[]? weights = null;
            if (root.TryGetProperty("loss_weights", out var lw) && lw.ValueKind != JsonValueKind.Null)
            {
                if (lw.ValueKind != JsonValueKind.Array || lw.GetArrayLength() > 1024) throw new InvalidDataException($"{source}: compile_config loss_weights must be an array of numbers.");
                var list = new List<float>();
                foreach (var e in lw.EnumerateArray())
                {
                    if (e.ValueKind != JsonValueKind.Number || !e.TryGetSingle(out float v) || !float.IsFinite(v) || v < 0)
                        throw new InvalidDataException($"{source}: compile_config loss_weights must be finite numbers >= 0; got {SafeTensorsFile.Clip(e.GetRawText())}.");
                    list.Add(v);
                }
                weights = [.. list];
            }
            var metrics = root.TryGetProperty("metrics", out var ms) ? MetricNames(ms, source, "metrics") : [];
            List<Metric>[]? outputMetrics = null;
            if (root.TryGetProperty("output_metrics", out var om) && om.ValueKind != JsonValueKind.Null)
            {
                if (om.ValueKind != JsonValueKind.Array || om.GetArrayLength() > 1024) throw new InvalidDataException($"{source}: compile_config output_metrics must be an array of arrays of names.");
                outputMetrics = om.EnumerateArray().Select(e => MetricNames(e, source, "output_metrics")).ToArray();
            }
            var weightedMetrics = root.TryGetProperty("weighted_metrics", out var wm) ? MetricNames(wm, source, "weighted_metrics") : [];
            List<Metric>[]? outputWeighted = null;
            if (root.TryGetProperty("output_weighted_metrics", out var owm) && owm.ValueKind != JsonValueKind.Null)
            {
                if (owm.ValueKind != JsonValueKind.Array || owm.GetArrayLength() > 1024) throw new InvalidDataException($"{source}: compile_config output_weighted_metrics must be an array of arrays of names.");
                outputWeighted = owm.EnumerateArray().Select(e => MetricNames(e, source, "output_weighted_metrics")).ToArray();
            }
            return new CompileSettings(optimizer, loss, metrics, losses, weights, outputMetrics, weightedMetrics, outputWeighted);
        }
        catch (JsonException e) { throw new InvalidDataException($"{source}: compile_config is not valid JSON: {e.Message}", e); }
    }

    private static List<Metric> MetricNames(JsonElement ms, string source, string key)
    {
        var metrics = new List<Metric>();
        if (ms.ValueKind == JsonValueKind.Null) return metrics;
        if (ms.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{source}: compile_config {key} must be an array of names.");
        foreach (var m in ms.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.Object) { metrics.Add(BuildFrom(m, key + " entry", Metrics, source, new SerializationContext(source, 0))); continue; }
            if (m.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{source}: compile_config {key} must be names or {{\"class_name\", \"config\"}}; got {SafeTensorsFile.Clip(m.GetRawText())}.");
            try { metrics.Add(Metric.Get(m.GetString()!)); }
            catch (ArgumentException e) { throw new InvalidDataException($"{source}: compile_config: {e.Message}", e); }
        }
        return metrics;
    }

    private static T Build<T>(JsonElement root, string key, Dictionary<string, Func<LayerConfig, T>> registry, string source, SerializationContext ctx)
    {
        if (!root.TryGetProperty(key, out var e)) throw new InvalidDataException($"{source}: compile_config needs '{key}': {{\"class_name\", \"config\"}}.");
        return BuildFrom(e, key, registry, source, ctx);
    }

    private static T BuildFrom<T>(JsonElement e, string key, Dictionary<string, Func<LayerConfig, T>> registry, string source, SerializationContext ctx)
    {
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("class_name", out var cn) || cn.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("config", out var cfg) || cfg.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: compile_config needs '{key}': {{\"class_name\", \"config\"}}.");
        string name = cn.GetString()!;
        Func<LayerConfig, T>? factory;
        lock (Gate) registry.TryGetValue(name, out factory);
        if (factory == null)
            throw new InvalidDataException($"{source}: compile_config names {key} '{SafeTensorsFile.Clip(name)}', which is not registered (known: {string.Join(", ", registry.Keys.Order())}).");
        var c = new LayerConfig(source, name, cfg, ctx);
        try { return factory(c); }
        catch (InvalidDataException) { throw; }
        catch (Exception ex) when (ModelConfig.IsConfigFault(ex)) { throw new InvalidDataException($"{source}: compile_config {key} '{SafeTensorsFile.Clip(name)}': {ex.Message}", ex); }
    }
}

/// <summary>Compile settings read from a model file; <see cref="ApplyTo"/> compiles a model with them.</summary>
internal sealed record CompileSettings(Optimizer Optimizer, Loss? Loss, List<Metric> Metrics, Loss?[]? Losses, float[]? LossWeights, List<Metric>[]? OutputMetrics,
    List<Metric> WeightedMetrics, List<Metric>[]? OutputWeightedMetrics)
{
    /// <summary>Compiles <paramref name="model"/> as it was when saved; a mismatch with its outputs is an error naming <paramref name="source"/>.</summary>
    public void ApplyTo(Models.Model model, string source)
    {
        try
        {
            if (OutputWeightedMetrics != null && OutputMetrics != null && OutputWeightedMetrics.Length != OutputMetrics.Length)
                throw new ArgumentException($"output_weighted_metrics has {OutputWeightedMetrics.Length} lists but output_metrics has {OutputMetrics.Length}.");
            if (Losses != null) model.Compile(Optimizer, Losses, LossWeights, OutputMetrics, OutputWeightedMetrics);
            else if (OutputMetrics != null) model.Compile(Optimizer, Enumerable.Repeat(Loss, OutputMetrics.Length).ToArray(), LossWeights, OutputMetrics, OutputWeightedMetrics);
            else model.Compile(Optimizer, Loss, Metrics, LossWeights, WeightedMetrics);
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: compile_config does not fit the model: {e.Message}", e); }
    }
}
