using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantUNet.Integer.Engine;
using QuantUNet.Integer.Format;

namespace QuantUNet.Integer;

/// <summary>
/// Scores images with an <see cref="IntegerModel"/> using integer arithmetic only: u8 x s8 products
/// summed in int32, requantised with exact round-half-to-even, max-pooled and concatenated as codes;
/// the mask is decided on the final accumulator (logit &gt; 0 is accumulator &gt; 0). The one float is the
/// optional probability, sigmoid(accumulator * <see cref="ScoreScale"/>).
/// <para>
/// Load once, then call from any number of threads: the engine is immutable, and each call borrows
/// a workspace (buffers for one image size) from a pool, so repeated calls at one size allocate
/// nothing. Images are planar (CHW); outputs are row-major, one value a pixel; an empty output span
/// means "not wanted".
/// </para>
/// <para>
/// Any image size is scored: sides that are not multiples of <see cref="SizeMultiple"/> are padded by
/// <see cref="ImagePadding"/> (bottom and right, with the value the model's normalisation maps to code 0) and the
/// outputs cropped back, so they always have the image's own size.
/// </para>
/// </summary>
public sealed class IntegerEngine
{
    private readonly PackedLayer[] layers;
    private readonly InputQuantizer inputQuantizer;
    private readonly Stack<Workspace> idle = new();

    /// <summary>Prepares <paramref name="model"/> for this machine: packs its weights for the chosen instruction set.</summary>
    /// <param name="model">The integer model to run.</param>
    /// <param name="options">How to run; null for the defaults (best instruction set, one image per core).</param>
    /// <exception cref="PlatformNotSupportedException">The requested instruction set is not supported here.</exception>
    public IntegerEngine(IntegerModel model, IntegerEngineOptions? options = null)
    {
        Model = model;
        Options = options ?? new IntegerEngineOptions();
        Simd = Resolve(Options.Simd);
        int lanes = Simd switch { SimdPath.Avx512 => 16, SimdPath.Avx2 => 8, _ => 1 };
        layers = Enumerable.Range(0, model.Layers.Count).Select(i => new PackedLayer(model, i, lanes)).ToArray();
        inputQuantizer = new InputQuantizer(model.Header, model.InputBits);
        Threads = Options.Threads > 0 ? Options.Threads : Environment.ProcessorCount;
    }

    /// <summary>Loads an integer model file (<see cref="IntegerModelFile"/>) and prepares it for this machine.</summary>
    public static IntegerEngine Load(string path, IntegerEngineOptions? options = null) => new(IntegerModelFile.Load(path), options);

    /// <summary>The model this engine runs.</summary>
    public IntegerModel Model { get; }
    /// <summary>The options as given (<see cref="Simd"/> has <see cref="SimdPath.Auto"/> resolved).</summary>
    public IntegerEngineOptions Options { get; }

    /// <summary>The instruction set in use (<see cref="SimdPath.Auto"/> resolved).</summary>
    public SimdPath Simd { get; }

    /// <summary>Images the batch methods score at once.</summary>
    public int Threads { get; }

    /// <summary>Channels an input image must have: 1 (grey) or 3 (RGB).</summary>
    public int InputChannels => Model.Header.InputChannels;

    /// <summary>The network runs at height and width rounded up to multiples of this (<see cref="ImagePadding"/>).</summary>
    public int SizeMultiple => Model.SizeMultiple;

    /// <summary>logit = accumulator * ScoreScale.</summary>
    public double ScoreScale => Model.ScoreScale;

    /// <summary>Whether this machine can run <paramref name="path"/>.</summary>
    public static bool IsSupported(SimdPath path) => path switch
    {
        SimdPath.Avx512 => Avx512BW.IsSupported && Vector512.IsHardwareAccelerated,
        SimdPath.Avx2 => Avx2.IsSupported,
        _ => true,
    };

    /// <summary>sigmoid(accumulator * scale) as a float.</summary>
    public static float Probability(int accumulator, double scale) => (float)(1 / (1 + Math.Exp(-accumulator * scale)));

    /// <summary>Scores one image of 8-bit pixels (0..255). Thread-safe.</summary>
    public void Predict(ReadOnlySpan<byte> pixels, int height, int width, Span<byte> mask, Span<int> accumulators = default, Span<float> probabilities = default) =>
        Run(pixels, height, width, mask, accumulators, probabilities, trace: null);

    /// <summary>Scores one image of float pixels in [0, 1], quantized as the trained float32 model does. Thread-safe.</summary>
    public void Predict(ReadOnlySpan<float> pixels, int height, int width, Span<byte> mask, Span<int> accumulators = default, Span<float> probabilities = default) =>
        Run(pixels, height, width, mask, accumulators, probabilities, trace: null);

    /// <summary>
    /// Scores <paramref name="count"/> images stored back to back, <see cref="Threads"/> at a time;
    /// outputs are back to back too.
    /// </summary>
    public void PredictBatch(ReadOnlyMemory<byte> pixels, int count, int height, int width, Memory<byte> masks, Memory<int> accumulators = default, Memory<float> probabilities = default) =>
        RunBatch(pixels, count, height, width, masks, accumulators, probabilities);

    /// <inheritdoc cref="PredictBatch(ReadOnlyMemory{byte}, int, int, int, Memory{byte}, Memory{int}, Memory{float})"/>
    public void PredictBatch(ReadOnlyMemory<float> pixels, int count, int height, int width, Memory<byte> masks, Memory<int> accumulators = default, Memory<float> probabilities = default) =>
        RunBatch(pixels, count, height, width, masks, accumulators, probabilities);

    /// <summary>
    /// Scores a stream of 8-bit images of one size, in order, <see cref="Threads"/> at a time and never more
    /// than twice that many in flight: for inputs too large to hold at once.
    /// </summary>
    public IEnumerable<IntegerPrediction> PredictStream(IEnumerable<ReadOnlyMemory<byte>> images, int height, int width)
    {
        var window = new List<ReadOnlyMemory<byte>>(2 * Threads);
        int first = 0;
        foreach (var image in images)
        {
            window.Add(image);
            if (window.Count < 2 * Threads) continue;
            foreach (var prediction in PredictWindow(window, first, height, width)) yield return prediction;
            first += window.Count;
            window.Clear();
        }
        foreach (var prediction in PredictWindow(window, first, height, width)) yield return prediction;
    }

    /// <summary>
    /// Every layer's int32 accumulators for one image, [channel][row][column] at the layer's output grid (diagnostics);
    /// the grids are those of the padded image when a side is not a multiple of <see cref="SizeMultiple"/>.
    /// </summary>
    public IReadOnlyList<int[]> LayerAccumulators(ReadOnlySpan<byte> pixels, int height, int width)
    {
        var padding = ImagePadding.For(height, width, SizeMultiple);
        var trace = layers.Select(l => new int[l.Source.OutputChannels * (padding.PaddedHeight >> l.OutputLevel) * (padding.PaddedWidth >> l.OutputLevel)]).ToArray();
        Run(pixels, height, width, default, default, default, trace);
        return trace;
    }

    private static SimdPath Resolve(SimdPath requested)
    {
        if (requested == SimdPath.Auto)
            return IsSupported(SimdPath.Avx512) ? SimdPath.Avx512 : IsSupported(SimdPath.Avx2) ? SimdPath.Avx2 : SimdPath.Scalar;
        if (!IsSupported(requested)) throw new PlatformNotSupportedException($"This machine cannot run the {requested} path.");
        return requested;
    }

    private void Run<TPixel>(ReadOnlySpan<TPixel> pixels, int height, int width, Span<byte> mask, Span<int> accumulators, Span<float> probabilities, int[][]? trace)
        where TPixel : unmanaged, INumber<TPixel>
    {
        CheckShape(pixels.Length, height, width, mask.Length, accumulators.Length, probabilities.Length, count: 1);
        var padding = ImagePadding.For(height, width, SizeMultiple);
        var workspace = Rent(padding.PaddedHeight, padding.PaddedWidth);
        try
        {
            if (padding.IsNeeded)
            {
                var padded = ArrayPool<TPixel>.Shared.Rent(InputChannels * padding.PaddedPixels);
                try
                {
                    var image = padded.AsSpan(0, InputChannels * padding.PaddedPixels);
                    padding.Pad(pixels, image, Model.Header.Normalization);
                    inputQuantizer.Quantize<TPixel>(image, workspace);
                }
                finally
                {
                    ArrayPool<TPixel>.Shared.Return(padded);
                }
            }
            else
            {
                inputQuantizer.Quantize(pixels, workspace);
            }
            ForwardPass.Run(Simd, layers, workspace, trace);
            Span<int> logits = workspace.Logits;
            if (padding.IsNeeded)
            {
                logits = workspace.CroppedLogits.AsSpan(0, padding.Pixels);
                padding.Crop<int>(workspace.Logits, logits);
            }
            for (int i = 0; i < mask.Length; i++) mask[i] = logits[i] > 0 ? (byte)1 : (byte)0;
            if (!accumulators.IsEmpty) logits.CopyTo(accumulators);
            for (int i = 0; i < probabilities.Length; i++) probabilities[i] = Probability(logits[i], ScoreScale);
        }
        finally
        {
            lock (idle) idle.Push(workspace);
        }
    }

    private void RunBatch<TPixel>(ReadOnlyMemory<TPixel> pixels, int count, int height, int width, Memory<byte> masks, Memory<int> accumulators, Memory<float> probabilities)
        where TPixel : unmanaged, INumber<TPixel>
    {
        CheckShape(pixels.Length, height, width, masks.Length, accumulators.Length, probabilities.Length, count);
        int image = InputChannels * height * width, plane = height * width;
        Memory<T> Part<T>(Memory<T> all, int i) => all.IsEmpty ? all : all.Slice(i * plane, plane);
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Threads }, i =>
            Run(pixels.Span.Slice(i * image, image), height, width, Part(masks, i).Span, Part(accumulators, i).Span, Part(probabilities, i).Span, trace: null));
    }

    private IntegerPrediction[] PredictWindow(List<ReadOnlyMemory<byte>> window, int first, int height, int width)
    {
        var results = new IntegerPrediction[window.Count];
        Parallel.For(0, window.Count, new ParallelOptions { MaxDegreeOfParallelism = Threads }, i =>
        {
            var mask = new byte[height * width];
            var accumulators = new int[height * width];
            Run(window[i].Span, height, width, mask, accumulators, default, trace: null);
            results[i] = new IntegerPrediction(first + i, mask, accumulators, ScoreScale);
        });
        return results;
    }

    private void CheckShape(int pixels, int height, int width, int mask, int accumulators, int probabilities, int count)
    {
        if (height <= 0 || width <= 0)
            throw new ArgumentException($"Image height and width must be positive; got {height}x{width}.");
        long image = (long)InputChannels * height * width, plane = (long)height * width;
        if (pixels != count * image)
            throw new ArgumentException($"{pixels} pixel values for {count} image(s) of {InputChannels}x{height}x{width}.");
        CheckOutput(mask, "mask");
        CheckOutput(accumulators, "accumulators");
        CheckOutput(probabilities, "probabilities");

        void CheckOutput(int length, string name)
        {
            if (length != 0 && length != count * plane)
                throw new ArgumentException($"The {name} output holds {length} values; {count} image(s) of {height}x{width} need {count * plane} (or none).");
        }
    }

    private Workspace Rent(int height, int width)
    {
        lock (idle)
        {
            if (idle.TryPop(out var workspace) && workspace.Height == height && workspace.Width == width) return workspace;
        }
        // A workspace of another size is dropped: callers that change size pay one allocation.
        return new Workspace(layers, InputChannels, height, width);
    }
}
