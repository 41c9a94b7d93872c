namespace QuantUNet.Torch.Training;

/// <summary>
/// The generator behind shuffling and augmentation: SplitMix64, whose whole state is one 64-bit
/// number, so that a checkpoint can store it and a resumed run draws exactly what the interrupted one would have.
/// </summary>
public sealed class TrainingRandom
{
    /// <summary>A generator continuing from <paramref name="state"/>.</summary>
    /// <param name="state">A saved <see cref="State"/>, or any number to start from.</param>
    public TrainingRandom(ulong state) => State = state;

    /// <summary>A generator seeded from a run's seed.</summary>
    public static TrainingRandom FromSeed(int seed) => new((ulong)(uint)seed);

    /// <summary>Everything the generator is: save it, and <c>new TrainingRandom(state)</c> continues the sequence.</summary>
    public ulong State { get; private set; }

    /// <summary>The next 64 random bits (SplitMix64).</summary>
    public ulong NextUInt64()
    {
        State += 0x9E3779B97F4A7C15;
        ulong z = State;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, <paramref name="maxExclusive"/>); the modulo bias is below 2^-32 for the counts training draws.</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (int)(NextUInt64() % (ulong)maxExclusive);
    }

    /// <summary>A value in [<paramref name="low"/>, <paramref name="high"/>), from the top 53 bits of one draw.</summary>
    public double Uniform(double low, double high) => low + (high - low) * ((NextUInt64() >> 11) * (1.0 / (1UL << 53)));

    /// <summary>0 .. count-1 in random order (Fisher-Yates).</summary>
    public int[] Permutation(int count)
    {
        var order = Enumerable.Range(0, count).ToArray();
        for (int i = count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
