namespace QuantUNet.Data;

/// <summary>
/// Generates MRI-like brain slices with lesion masks, for tests, demos and smoke training without a real dataset.
/// Each slice shows an elliptical head (scalp, dark skull ring, grey/white-matter texture, darker ventricles) under a
/// smooth intensity inhomogeneity and Rician noise, with 0 to <see cref="Options.MaxLesions"/> irregular lesions that
/// are bright in FLAIR; the mask marks exactly the lesion pixels. Slices come in synthetic patients that share
/// their anatomy, so group-wise splits behave as on real data.
/// </summary>
/// <remarks>
/// Deterministic: slice i depends only on the options and i (each patient and slice draws from its own
/// <see cref="Random"/> seeded from <see cref="Options.Seed"/>), so a longer run starts with the same slices as a shorter one.
/// </remarks>
public sealed class SyntheticMriGenerator
{
    private const string NamePrefix = "synthetic";
    private const string SliceSeparator = "-s";

    // Radii as fractions of the head's elliptical radius: the brain sits inside a dark bone ring inside the scalp.
    private const double BrainEdge = 0.87;
    private const double SkullEdge = 0.93;

    private readonly TissueContrast[] _contrasts;

    /// <summary>A generator with <paramref name="options"/>.</summary>
    /// <param name="options">Size, seed, noise and the rest; null for the defaults of <see cref="Options"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range.</exception>
    public SyntheticMriGenerator(Options? options = null)
    {
        Settings = options ?? new Options();
        Settings.Validate();
        _contrasts = [.. Enumerable.Range(0, Settings.Channels).Select(c => TissueContrast.ForChannel(c, Settings.Channels))];
    }

    /// <summary>Settings of the generated slices.</summary>
    public sealed class Options
    {
        /// <summary>Slice size; at least 16 x 16 so a head, skull and lesion fit. Default 64 x 64.</summary>
        public ImageSize Size { get; init; } = ImageSize.Square(64);

        /// <summary>Channels per slice: 1 is FLAIR; more sweep from pre-contrast through FLAIR to post-contrast. Default 1.</summary>
        public int Channels { get; init; } = 1;

        /// <summary>Probability that a slice has no lesion (an empty mask). Default 0.3.</summary>
        public double EmptyFraction { get; init; } = 0.3;

        /// <summary>Lesions on a non-empty slice are 1 to this many. Default 3.</summary>
        public int MaxLesions { get; init; } = 3;

        /// <summary>Consecutive slices sharing one patient's anatomy and <see cref="SegmentationSample.GroupId"/>. Default 8.</summary>
        public int SlicesPerPatient { get; init; } = 8;

        /// <summary>Multiplies each patient's noise level; 0 gives noise-free slices whose background is exactly 0. Default 1.0.</summary>
        public double NoiseScale { get; init; } = 1.0;

        /// <summary>Seed of all randomness: equal options give identical slices.</summary>
        public int Seed { get; init; }

        internal void Validate()
        {
            if (Size.Height < 16 || Size.Width < 16)
                throw new ArgumentOutOfRangeException(nameof(Size), Size, "Synthetic slices must be at least 16x16.");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Channels);
            if (!(EmptyFraction >= 0 && EmptyFraction <= 1))
                throw new ArgumentOutOfRangeException(nameof(EmptyFraction), EmptyFraction, "The empty fraction must be in [0, 1].");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxLesions);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SlicesPerPatient);
            if (!(NoiseScale >= 0 && double.IsFinite(NoiseScale)))
                throw new ArgumentOutOfRangeException(nameof(NoiseScale), NoiseScale, "The noise scale must be finite and not negative.");
        }
    }

    /// <summary>The options this generator uses.</summary>
    public Options Settings { get; }

    /// <summary>Slices 0 to <paramref name="count"/> - 1.</summary>
    public IReadOnlyList<SegmentationSample> Generate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var samples = new SegmentationSample[count];
        // Slices are independent of each other, so parallel generation stays deterministic.
        Parallel.For(0, count, i => samples[i] = GenerateSlice(i));
        return samples;
    }

    /// <summary>
    /// Generates <paramref name="count"/> slices and writes them under <paramref name="folder"/> as
    /// <c>images/NAME.png</c> and <c>masks/NAME.png</c> (see <see cref="ImageFolderDataset.Write"/>); returns the slices.
    /// Read back with <see cref="GroupOf"/> as the group function to recover the patients.
    /// </summary>
    public IReadOnlyList<SegmentationSample> WriteDataset(int count, string folder)
    {
        var samples = Generate(count);
        ImageFolderDataset.Write(samples, folder);
        return samples;
    }

    /// <summary>The patient group of a generated slice name: <c>synthetic-p003-s05</c> gives <c>synthetic-p003</c>.</summary>
    public static string GroupOf(string name)
    {
        int separator = name.LastIndexOf(SliceSeparator, StringComparison.Ordinal);
        if (!name.StartsWith(NamePrefix + "-p", StringComparison.Ordinal) || separator < 0)
            throw new ArgumentException($"'{name}' is not a synthetic slice name like {NamePrefix}-p003{SliceSeparator}05.", nameof(name));
        return name[..separator];
    }

    /// <summary>Slice <paramref name="index"/>: slice index % SlicesPerPatient of patient index / SlicesPerPatient.</summary>
    public SegmentationSample GenerateSlice(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var options = Settings;
        int patientIndex = index / options.SlicesPerPatient, sliceIndex = index % options.SlicesPerPatient;
        var patient = new Patient(new Random(SeedFor(options.Seed, patientIndex, -1)), options.Size, options.Channels, options.NoiseScale);
        var random = new Random(SeedFor(options.Seed, patientIndex, sliceIndex));
        // Position along the head axis, kept off the very ends where a real head would be tiny.
        double z = options.SlicesPerPatient == 1 ? 0 : 1.6 * sliceIndex / (options.SlicesPerPatient - 1) - 0.8;

        var tissue = DrawAnatomy(patient, z);
        var mask = new byte[options.Size.Height * options.Size.Width];
        int lesions = random.NextDouble() < options.EmptyFraction ? 0 : random.Next(1, options.MaxLesions + 1);
        for (int l = 0; l < lesions; l++)
            DrawLesion(patient, tissue, mask, random);

        string group = $"{NamePrefix}-p{patientIndex:D3}";
        return new SegmentationSample(
            $"{group}{SliceSeparator}{sliceIndex:D2}", group, options.Channels, options.Size.Height, options.Size.Width,
            Render(patient, tissue, random), mask);
    }

    /// <summary>Per-pixel tissue fractions of one slice, shared by every channel.</summary>
    private sealed class Tissue(ImageSize size, double semiX, double semiY)
    {
        public ImageSize Size { get; } = size;
        public double SemiX { get; } = semiX;
        public double SemiY { get; } = semiY;
        public float[] Scalp { get; } = new float[size.Height * size.Width];
        public float[] Bone { get; } = new float[size.Height * size.Width];
        public float[] Brain { get; } = new float[size.Height * size.Width];
        public float[] WhiteMatter { get; } = new float[size.Height * size.Width];
        public float[] Fluid { get; } = new float[size.Height * size.Width];
        public float[] Lesion { get; } = new float[size.Height * size.Width];
        public float[] Bias { get; } = new float[size.Height * size.Width];
    }

    private static Tissue DrawAnatomy(Patient patient, double z)
    {
        var size = patient.Size;
        double headScale = Math.Sqrt(1 - 0.4 * z * z);
        var t = new Tissue(size, patient.SemiX * headScale, patient.SemiY * headScale);
        double pixel = 1 / Math.Min(t.SemiX, t.SemiY); // one pixel in head-radius units, for anti-aliased edges
        double ventricleScale = 1 - 0.9 * z * z;

        // Texture = sum of separable products of sinusoids: smooth gyri-like patterns at the cost of a few multiplies a pixel.
        var waves = patient.Waves;
        var alongX = new double[waves.Length][];
        var alongY = new double[waves.Length][];
        for (int k = 0; k < waves.Length; k++)
        {
            var w = waves[k];
            alongX[k] = [.. Enumerable.Range(0, size.Width).Select(x => w.Amplitude * Math.Sin(w.FrequencyX * x + w.PhaseX + w.Drift * z))];
            alongY[k] = [.. Enumerable.Range(0, size.Height).Select(y => Math.Sin(w.FrequencyY * y + w.PhaseY - w.Drift * z))];
        }

        for (int y = 0; y < size.Height; y++)
        {
            for (int x = 0; x < size.Width; x++)
            {
                var (u, v) = patient.ToHead(x + 0.5, y + 0.5, t.SemiX, t.SemiY);
                double rho = Math.Sqrt(u * u + v * v);
                // Outside the head every tissue share stays exactly 0, so the background is clean before noise.
                if (rho >= 1)
                    continue;
                int i = y * size.Width + x;
                double head = Math.Min(1, (1 - rho) / pixel);
                double insideSkull = Step(SkullEdge - rho, pixel);
                double brain = Math.Min(head, Step(BrainEdge - rho, pixel));
                t.Scalp[i] = (float)Math.Max(0, head - insideSkull);
                t.Bone[i] = (float)Math.Max(0, Math.Min(head, insideSkull) - brain);
                t.Brain[i] = (float)brain;
                t.Bias[i] = (float)patient.Bias(u, v);
                if (brain == 0)
                    continue;

                double texture = 0;
                for (int k = 0; k < waves.Length; k++)
                    texture += alongX[k][x] * alongY[k][y];
                t.WhiteMatter[i] = (float)Math.Clamp(0.5 + 5 * texture, 0, 1);
                double fluid = 0;
                foreach (var ventricle in patient.Ventricles)
                    fluid = Math.Max(fluid, ventricle.Fraction(u, v, ventricleScale, pixel));
                t.Fluid[i] = (float)fluid;
            }
        }
        return t;
    }

    private static void DrawLesion(Patient patient, Tissue t, byte[] mask, Random random)
    {
        var size = t.Size;
        // Mean radius 2-15 % of this slice's head width, but at least 1.5 px so the pixel nearest the centre is always inside.
        double radius = Math.Max(1.5, Uniform(random, 0.02, 0.15) * 2 * t.SemiX);
        // Centre well inside the brain; clipping to the brain below keeps large lesions off the skull.
        double rho = 0.55 * Math.Sqrt(random.NextDouble()), angle = Uniform(random, 0, 2 * Math.PI);
        var (cx, cy) = patient.FromHead(rho * Math.Cos(angle), rho * Math.Sin(angle), t.SemiX, t.SemiY);
        // A radius modulated by a few harmonics gives irregular blobs; amplitudes sum to at most 0.3.
        Span<double> amplitude = stackalloc double[3];
        Span<double> phase = stackalloc double[3];
        for (int h = 0; h < 3; h++)
        {
            amplitude[h] = Uniform(random, -0.1, 0.1);
            phase[h] = Uniform(random, 0, 2 * Math.PI);
        }
        double contrast = Uniform(random, 0.5, 1.0);

        // The edge reaches 1.3 radii and the fade 1.15 edges beyond the centre: 1.5 radii, plus a pixel for rounding.
        double reach = 1.5 * radius + 1;
        int x0 = Math.Max(0, (int)(cx - reach)), x1 = Math.Min(size.Width - 1, (int)(cx + reach));
        int y0 = Math.Max(0, (int)(cy - reach)), y1 = Math.Min(size.Height - 1, (int)(cy + reach));
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                int i = y * size.Width + x;
                if (t.Brain[i] < 0.5f)
                    continue;
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                double distance = Math.Sqrt(dx * dx + dy * dy), theta = Math.Atan2(dy, dx);
                double edge = radius;
                for (int h = 0; h < 3; h++)
                    edge += radius * amplitude[h] * Math.Cos((h + 2) * theta + phase[h]);
                if (distance < edge)
                    mask[i] = 1;
                // Full contrast in the core, half at the mask edge, fading just outside it (partial volume).
                double weight = contrast * Math.Clamp((1 - distance / edge) / 0.3 + 0.5, 0, 1);
                t.Lesion[i] = (float)Math.Max(t.Lesion[i], weight);
            }
        }
    }

    private float[] Render(Patient patient, Tissue t, Random random)
    {
        int count = t.Size.Height * t.Size.Width;
        var image = new float[_contrasts.Length * count];
        for (int c = 0; c < _contrasts.Length; c++)
        {
            var contrast = _contrasts[c];
            float gain = patient.Gains[c];
            for (int i = 0; i < count; i++)
            {
                // Brain matter: grey/white mixture, overlaid by ventricle fluid, overlaid by lesion.
                float matter = contrast.GreyMatter + t.WhiteMatter[i] * (contrast.WhiteMatter - contrast.GreyMatter);
                matter += t.Fluid[i] * (contrast.Fluid - matter);
                matter += t.Lesion[i] * (contrast.Lesion - matter);
                double signal = (t.Scalp[i] * contrast.Scalp + t.Bone[i] * contrast.Bone + t.Brain[i] * matter) * t.Bias[i] * gain;
                if (patient.Noise > 0)
                {
                    // Rician noise: the magnitude of a complex signal with Gaussian noise on both parts.
                    var (re, im) = GaussianPair(random);
                    re = signal + patient.Noise * re;
                    im = patient.Noise * im;
                    signal = Math.Sqrt(re * re + im * im);
                }
                image[c * count + i] = (float)Math.Clamp(signal, 0, 1);
            }
        }
        return image;
    }

    /// <summary>One patient's anatomy, scanner gains, noise and inhomogeneity, shared by all of its slices.</summary>
    private sealed class Patient
    {
        private readonly double _centreX, _centreY, _cos, _sin;
        private readonly double _biasX, _biasY, _biasCurve;

        public Patient(Random random, ImageSize size, int channels, double noiseScale)
        {
            Size = size;
            _centreX = size.Width * (0.5 + Uniform(random, -0.04, 0.04));
            _centreY = size.Height * (0.5 + Uniform(random, -0.04, 0.04));
            SemiX = size.Width * Uniform(random, 0.36, 0.42);
            SemiY = size.Height * Uniform(random, 0.40, 0.46);
            double tilt = Uniform(random, -0.15, 0.15);
            (_sin, _cos) = Math.SinCos(tilt);
            Waves = [.. Enumerable.Range(0, 4).Select(_ => Wave.Create(random, SemiX, SemiY))];
            Ventricles = Ventricle.Create(random);
            Gains = [.. Enumerable.Range(0, channels).Select(_ => (float)Uniform(random, 0.92, 1.08))];
            Noise = noiseScale * Uniform(random, 0.015, 0.04);
            _biasX = Uniform(random, -0.12, 0.12);
            _biasY = Uniform(random, -0.12, 0.12);
            _biasCurve = Uniform(random, -0.08, 0.08);
        }

        public ImageSize Size { get; }
        public double SemiX { get; }
        public double SemiY { get; }
        public Wave[] Waves { get; }
        public Ventricle[] Ventricles { get; }
        public float[] Gains { get; }
        public double Noise { get; }

        /// <summary>Pixel position to head coordinates: rotated and scaled so the head outline is the unit circle.</summary>
        public (double U, double V) ToHead(double x, double y, double semiX, double semiY)
        {
            double dx = x - _centreX, dy = y - _centreY;
            return ((_cos * dx + _sin * dy) / semiX, (-_sin * dx + _cos * dy) / semiY);
        }

        public (double X, double Y) FromHead(double u, double v, double semiX, double semiY)
        {
            double du = u * semiX, dv = v * semiY;
            return (_centreX + _cos * du - _sin * dv, _centreY + _sin * du + _cos * dv);
        }

        /// <summary>Smooth multiplicative intensity inhomogeneity (a coil's bias field): a tilt plus a bowl.</summary>
        public double Bias(double u, double v) => 1 + _biasX * u + _biasY * v + _biasCurve * (u * u + v * v);
    }

    /// <summary>One texture component: a product of sinusoids along x and y, drifting with the slice position.</summary>
    private readonly record struct Wave(double Amplitude, double FrequencyX, double PhaseX, double FrequencyY, double PhaseY, double Drift)
    {
        public static Wave Create(Random random, double semiX, double semiY) => new(
            Amplitude: Uniform(random, 0.03, 0.07),
            // 1.5 to 5 cycles across the head: folds, not pixel noise.
            FrequencyX: Math.PI * Uniform(random, 1.5, 5) / semiX,
            PhaseX: Uniform(random, 0, 2 * Math.PI),
            FrequencyY: Math.PI * Uniform(random, 1.5, 5) / semiY,
            PhaseY: Uniform(random, 0, 2 * Math.PI),
            Drift: Uniform(random, -2, 2));
    }

    /// <summary>A dark fluid-filled ellipse in head coordinates; drawn smaller towards the ends of the head.</summary>
    private readonly record struct Ventricle(double U, double V, double SemiU, double SemiV, double Cos, double Sin)
    {
        /// <summary>Two mirrored lateral ventricles (a butterfly) and sometimes a small third one on the midline.</summary>
        public static Ventricle[] Create(Random random)
        {
            double offset = Uniform(random, 0.09, 0.14), along = Uniform(random, -0.1, 0.05);
            double width = Uniform(random, 0.05, 0.08), length = Uniform(random, 0.18, 0.26);
            var (sin, cos) = Math.SinCos(Uniform(random, 0.15, 0.35));
            var lateral = new[]
            {
                new Ventricle(-offset, along, width, length, cos, sin),
                new Ventricle(offset, along, width, length, cos, -sin),
            };
            return random.NextDouble() < 0.5
                ? lateral
                : [.. lateral, new Ventricle(0, along + length + 0.05, 0.03, 0.05, 1, 0)];
        }

        /// <summary>Share of a pixel at head coordinates (u, v) covered by fluid, soft over one pixel.</summary>
        public double Fraction(double u, double v, double scale, double pixel)
        {
            double du = u - U, dv = v - V;
            double a = (Cos * du + Sin * dv) / (SemiU * scale), b = (-Sin * du + Cos * dv) / (SemiV * scale);
            return Step(1 - Math.Sqrt(a * a + b * b), pixel / (SemiU * scale));
        }
    }

    /// <summary>An anti-aliased step: 1 more than half a pixel inside an edge, 0 more than half a pixel outside, linear between.</summary>
    private static double Step(double signedDistance, double pixel) => Math.Clamp(signedDistance / pixel + 0.5, 0, 1);

    /// <summary>Two independent standard normal values (Marsaglia's polar method: no trigonometry).</summary>
    private static (double, double) GaussianPair(Random random)
    {
        double a, b, s;
        do
        {
            a = 2 * random.NextDouble() - 1;
            b = 2 * random.NextDouble() - 1;
            s = a * a + b * b;
        }
        while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2 * Math.Log(s) / s);
        return (a * f, b * f);
    }

    private static double Uniform(Random random, double low, double high) => low + (high - low) * random.NextDouble();

    /// <summary>A seed for (patient, slice), slice -1 meaning the patient itself, mixed with SplitMix64 so neighbours differ.</summary>
    private static int SeedFor(int seed, int patient, int slice)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL
            ^ (ulong)(uint)patient * 0xC2B2AE3D27D4EB4FUL
            ^ (ulong)(uint)(slice + 1) * 0x165667B19E3779F9UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z >> 33);
    }
}
