using System.Reflection;
using Praxis.IO;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Metrics;
using Praxis.Models;
using Praxis.Optimizers;
using Praxis.Regularizers;

namespace Praxis.Tests.Models;

/// <summary>
/// The Keras names issue 15 lists, held here as a fixed list: each class exists under its Keras name, each argument
/// is the Keras argument in camelCase (so a Keras program ports by case change), each string name resolves, and each
/// layer, metric and schedule can be read back from a saved file. docs/KERAS.md is the table for people.
/// </summary>
public class KerasNamesTests
{
    private static readonly Assembly Praxis = typeof(Tensor).Assembly;

    /// <summary>Keras class → its Keras arguments (snake_case, as Keras writes them) that Praxis must take.</summary>
    public static TheoryData<string, string> Classes => new()
    {
        // 1-D and sequence
        { "Layers.Conv1D", "filters kernel_size strides padding dilation_rate groups activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer" },
        { "Layers.SeparableConv1D", "filters kernel_size strides padding dilation_rate depth_multiplier depthwise_initializer pointwise_initializer depthwise_regularizer pointwise_regularizer" },
        { "Layers.MaxPooling1D", "pool_size strides padding" },
        { "Layers.AveragePooling1D", "pool_size strides padding" },
        { "Layers.GlobalMaxPooling1D", "keepdims" },
        { "Layers.GlobalAveragePooling1D", "keepdims" },
        { "Layers.UpSampling1D", "size" },
        { "Layers.ZeroPadding1D", "padding" },
        { "Layers.Cropping1D", "cropping" },
        { "Layers.RepeatVector", "n" },
        { "Layers.Permute", "dims" },
        // images
        { "Layers.SeparableConv2D", "filters kernel_size strides padding dilation_rate depth_multiplier" },
        { "Layers.DepthwiseConv2D", "kernel_size strides padding depth_multiplier dilation_rate depthwise_initializer depthwise_regularizer" },
        { "Layers.ZeroPadding2D", "padding" },
        { "Layers.Cropping2D", "cropping" },
        { "Layers.SpatialDropout1D", "rate seed" },
        { "Layers.SpatialDropout2D", "rate seed" },
        { "Layers.GroupNormalization", "groups axis epsilon center scale beta_initializer gamma_initializer" },
        { "Layers.Resizing", "height width interpolation crop_to_aspect_ratio pad_to_aspect_ratio fill_mode fill_value antialias" },
        { "Layers.CenterCrop", "height width" },
        // preprocessing
        { "Layers.Rescaling", "scale offset" },
        { "Layers.Normalization", "axis mean variance invert" },
        { "Layers.TextVectorization", "max_tokens standardize split ngrams output_mode output_sequence_length pad_to_max_tokens vocabulary idf_weights" },
        { "Layers.StringLookup", "max_tokens num_oov_indices mask_token oov_token vocabulary output_mode" },
        { "Layers.IntegerLookup", "max_tokens num_oov_indices mask_token oov_token vocabulary output_mode" },
        { "Layers.CategoryEncoding", "num_tokens output_mode" },
        { "Layers.Hashing", "num_bins mask_value salt" },
        // augmentation
        { "Layers.RandomFlip", "mode seed" },
        { "Layers.RandomRotation", "factor fill_mode interpolation seed fill_value" },
        { "Layers.RandomZoom", "height_factor width_factor fill_mode interpolation seed fill_value" },
        { "Layers.RandomTranslation", "height_factor width_factor fill_mode interpolation seed fill_value" },
        { "Layers.RandomContrast", "factor value_range seed" },
        { "Layers.RandomCrop", "height width seed" },
        { "Layers.GaussianNoise", "stddev seed" },
        // glue
        { "Layers.Lambda", "function output_shape" },
        { "Layers.Multiply", "" }, { "Layers.Subtract", "" }, { "Layers.Average", "" }, { "Layers.Maximum", "" }, { "Layers.Minimum", "" },
        { "Layers.Dot", "axes normalize" },
        { "Layers.Dense", "units activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer" },
        { "Layers.Embedding", "input_dim output_dim embeddings_initializer embeddings_regularizer activity_regularizer mask_zero" },
        { "Layers.ReversibleEmbedding", "input_dim output_dim tie_weights embeddings_initializer embeddings_regularizer activity_regularizer mask_zero" },
        { "Layers.TimeDistributed", "layer activity_regularizer" },
        { "Regularizers.L1", "l1" }, { "Regularizers.L2", "l2" }, { "Regularizers.L1L2", "l1 l2" },
        // losses
        { "Losses.Huber", "delta reduction" },
        { "Losses.LogCosh", "reduction" }, { "Losses.KLDivergence", "reduction" }, { "Losses.CosineSimilarity", "reduction" },
        { "Losses.Hinge", "reduction" }, { "Losses.SquaredHinge", "reduction" }, { "Losses.Poisson", "reduction" },
        { "Losses.CategoricalFocalCrossentropy", "alpha gamma from_logits label_smoothing reduction" },
        { "Losses.BinaryFocalCrossentropy", "apply_class_balancing alpha gamma from_logits label_smoothing reduction" },
        { "Losses.CategoricalCrossentropy", "from_logits label_smoothing reduction" },
        { "Losses.BinaryCrossentropy", "from_logits label_smoothing reduction" },
        { "Losses.SparseCategoricalCrossentropy", "from_logits reduction" },
        // metrics
        { "Metrics.AUC", "num_thresholds curve summation_method name from_logits" },
        { "Metrics.Precision", "thresholds top_k class_id name" },
        { "Metrics.Recall", "thresholds top_k class_id name" },
        { "Metrics.F1Score", "average threshold name" },
        { "Metrics.FBetaScore", "average beta threshold name" },
        { "Metrics.TopKCategoricalAccuracy", "k name" },
        { "Metrics.SparseTopKCategoricalAccuracy", "k name" },
        { "Metrics.MeanIoU", "num_classes name ignore_class sparse_y_true sparse_y_pred" },
        { "Metrics.RootMeanSquaredError", "name" },
        { "Metrics.Mean", "name" }, { "Metrics.Sum", "name" },
        { "Metrics.BinaryAccuracy", "name threshold" },
        // optimizers and schedules
        { "Optimizers.Adamax", "learning_rate beta_1 beta_2 epsilon" },
        { "Optimizers.Nadam", "learning_rate beta_1 beta_2 epsilon" },
        { "Optimizers.Adagrad", "learning_rate initial_accumulator_value epsilon" },
        { "Optimizers.Adadelta", "learning_rate rho epsilon" },
        { "Optimizers.Lion", "learning_rate beta_1 beta_2" },
        { "Optimizers.ExponentialDecay", "initial_learning_rate decay_steps decay_rate staircase" },
        { "Optimizers.PiecewiseConstantDecay", "boundaries values" },
        { "Optimizers.PolynomialDecay", "initial_learning_rate decay_steps end_learning_rate power cycle" },
        { "Optimizers.InverseTimeDecay", "initial_learning_rate decay_steps decay_rate staircase" },
        { "Optimizers.CosineDecayRestarts", "initial_learning_rate first_decay_steps t_mul m_mul alpha" },
        { "Optimizers.CosineDecay", "initial_learning_rate decay_steps alpha warmup_target warmup_steps" },
        // callbacks the issue names
        { "Callbacks.ReduceLROnPlateau", "monitor factor patience verbose mode min_delta cooldown min_lr" },
        { "Callbacks.EarlyStopping", "monitor min_delta patience verbose mode baseline restore_best_weights start_from_epoch" },
        { "Callbacks.ModelCheckpoint", "filepath monitor verbose save_best_only save_weights_only mode save_freq initial_value_threshold" },
    };

    /// <summary>Keras' snake_case argument as a C# parameter: <c>min_lr</c> → <c>minLr</c>, <c>beta_1</c> → <c>beta1</c>.</summary>
    internal static string Camel(string snake)
    {
        var parts = snake.Split('_');
        var s = new System.Text.StringBuilder(parts[0]);
        for (int i = 1; i < parts.Length; i++)
            if (parts[i].Length > 0) s.Append(char.ToUpperInvariant(parts[i][0])).Append(parts[i].AsSpan(1));
        return s.ToString();
    }

    [Theory]
    [MemberData(nameof(Classes))]
    public void KerasClassTakesKerasArguments(string type, string arguments)
    {
        var t = Praxis.GetType("Praxis." + type);
        Assert.True(t is { IsPublic: true }, $"Praxis.{type} does not exist (Keras' {type.Split('.')[1]}).");
        var ctors = t!.GetConstructors();
        Assert.NotEmpty(ctors);
        var names = ctors.SelectMany(c => c.GetParameters()).Select(p => p.Name).ToHashSet();
        foreach (var a in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            Assert.True(names.Contains(Camel(a)), $"{t.Name} has no constructor argument '{Camel(a)}' (Keras {a}); it has: {string.Join(", ", names)}.");
    }

    [Fact]
    public void CamelCaseMatchesKerasSpelling()
    {
        Assert.Equal("minLr", Camel("min_lr"));
        Assert.Equal("beta1", Camel("beta_1"));
        Assert.Equal("sparseYTrue", Camel("sparse_y_true"));
        Assert.Equal("keepdims", Camel("keepdims"));
    }

    [Fact]
    public void KerasStringNamesResolve()
    {
        foreach (var (name, type) in new (string, Type)[]
        {
            ("huber", typeof(Huber)), ("log_cosh", typeof(LogCosh)), ("kl_divergence", typeof(KLDivergence)), ("kld", typeof(KLDivergence)),
            ("cosine_similarity", typeof(CosineSimilarity)), ("hinge", typeof(Hinge)), ("squared_hinge", typeof(SquaredHinge)),
            ("poisson", typeof(Poisson)), ("categorical_focal_crossentropy", typeof(CategoricalFocalCrossentropy)),
            ("binary_focal_crossentropy", typeof(BinaryFocalCrossentropy)), ("categorical_crossentropy", typeof(CategoricalCrossentropy)),
            ("binary_crossentropy", typeof(BinaryCrossentropy)), ("sparse_categorical_crossentropy", typeof(SparseCategoricalCrossentropy)),
            ("mse", typeof(MeanSquaredError)), ("mae", typeof(MeanAbsoluteError)),
        })
            Assert.IsType(type, Loss.Get(name));
        foreach (var (name, type) in new (string, Type)[]
        {
            ("auc", typeof(AUC)), ("precision", typeof(Precision)), ("recall", typeof(Recall)),
            ("top_k_categorical_accuracy", typeof(TopKCategoricalAccuracy)), ("sparse_top_k_categorical_accuracy", typeof(SparseTopKCategoricalAccuracy)),
            ("root_mean_squared_error", typeof(RootMeanSquaredError)), ("accuracy", typeof(Accuracy)), ("binary_accuracy", typeof(BinaryAccuracy)),
            ("categorical_accuracy", typeof(CategoricalAccuracy)), ("sparse_categorical_accuracy", typeof(SparseCategoricalAccuracy)),
            ("f1_score", typeof(F1Score)), ("fbeta_score", typeof(FBetaScore)),
        })
            Assert.IsType(type, Metric.Get(name));
        Assert.Contains("numClasses", Assert.Throws<ArgumentException>(() => Metric.Get("mean_iou")).Message);
        foreach (var (name, type) in new (string, Type)[]
        {
            ("adamax", typeof(Adamax)), ("nadam", typeof(Nadam)), ("adagrad", typeof(Adagrad)), ("adadelta", typeof(Adadelta)), ("lion", typeof(Lion)),
            ("adam", typeof(Adam)), ("adamw", typeof(AdamW)), ("sgd", typeof(SGD)), ("rmsprop", typeof(RMSprop)),
        })
            Assert.IsType(type, Optimizer.Get(name));
        Assert.IsType<L1>(Regularizer.Get("l1"));
        Assert.IsType<L2>(Regularizer.Get("l2"));
        Assert.IsType<L1L2>(Regularizer.Get("l1_l2"));
    }

    [Fact]
    public void SavedNamesAreRegisteredForLoading()
    {
        string[] layers =
        [
            "Conv1D", "SeparableConv1D", "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D", "UpSampling1D",
            "ZeroPadding1D", "Cropping1D", "RepeatVector", "Permute", "SeparableConv2D", "DepthwiseConv2D", "ZeroPadding2D", "Cropping2D",
            "SpatialDropout1D", "SpatialDropout2D", "GroupNormalization", "Resizing", "CenterCrop", "Rescaling", "Normalization",
            "TextVectorization", "StringLookup", "IntegerLookup", "CategoryEncoding", "Hashing", "RandomFlip", "RandomRotation", "RandomZoom",
            "RandomTranslation", "RandomContrast", "RandomCrop", "GaussianNoise", "Lambda", "Multiply", "Subtract", "Average", "Maximum",
            "Minimum", "Dot", "TimeDistributed", "ReversibleEmbedding", "Masking",
        ];
        var registered = LayerRegistry.ClassNames.ToHashSet();
        foreach (var l in layers) Assert.True(registered.Contains(l), $"Layer '{l}' is not in the layer registry, so a saved model naming it would not load.");
        var schedules = CompileConfig.ScheduleClassNames.ToHashSet();
        foreach (var s in new[] { "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay", "CosineDecayRestarts", "CosineDecay" })
            Assert.True(schedules.Contains(s), $"Schedule '{s}' cannot be loaded from a compile config.");
        var metrics = CompileConfig.MetricClassNames.ToHashSet();
        foreach (var m in new[] { "AUC", "Precision", "Recall", "F1Score", "FBetaScore", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "MeanIoU", "BinaryAccuracy" })
            Assert.True(metrics.Contains(m), $"Metric '{m}' with arguments cannot be loaded from a compile config.");
    }

    [Fact]
    public void TrainingAndTensorArgumentsUseKerasNames()
    {
        static HashSet<string?> Params(Type t, string method) =>
            t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Where(m => m.Name == method)
                .SelectMany(m => m.GetParameters()).Select(p => p.Name).ToHashSet();
        var fit = Params(typeof(Model), "Fit");
        foreach (var a in new[] { "x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data", "shuffle", "class_weight", "sample_weight", "initial_epoch" })
            Assert.Contains(Camel(a), fit);
        var compile = Params(typeof(Model), "Compile");
        foreach (var a in new[] { "optimizer", "loss", "loss_weights", "metrics", "weighted_metrics" })
            Assert.Contains(Camel(a), compile);
        var evaluate = Params(typeof(Model), "Evaluate");
        foreach (var a in new[] { "x", "y", "batch_size", "verbose", "sample_weight", "callbacks" })
            Assert.Contains(Camel(a), evaluate);
        foreach (var op in new[] { "Sum", "Mean", "Max", "Min", "Var", "Std", "ArgMax", "ArgMin" })
            Assert.Contains("keepDims", Params(typeof(Tensor), op));
        foreach (var op in new[] { "Where", "OneHot", "TopK", "CumSum" })
            Assert.NotEmpty(Params(typeof(Tensor), op));
    }
}
