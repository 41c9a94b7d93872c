namespace QuantUNet.Integer;

/// <summary>
/// The widths the integer datapath carries, and so the widths training may learn: the one statement of these bounds,
/// checked when quantizer settings are made, when a model is exported and when one is loaded.
/// </summary>
public readonly record struct BitwidthBounds(int Min, int Max)
{
    /// <summary>Signed weight codes: 2 bits is the narrowest with a non-zero value of each sign, 8 fits sbyte.</summary>
    public static BitwidthBounds Weight { get; } = new(2, 8);

    /// <summary>Unsigned activation codes (after a ReLU, or image pixels): 1 to 8 bits fit byte.</summary>
    public static BitwidthBounds Activation { get; } = new(1, 8);

    /// <summary>Whether <paramref name="bits"/> lies in [Min, Max], both included.</summary>
    /// <param name="bits">A width in bits.</param>
    public bool Contains(int bits) => bits >= Min && bits <= Max;

    /// <summary>"Min..Max", as error messages quote the bounds.</summary>
    public override string ToString() => $"{Min}..{Max}";
}
