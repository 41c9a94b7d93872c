namespace QuantUNet.Cli.Demo;

/// <summary>The sizes of a demo run: <see cref="Full"/> is the real comparison, <see cref="Quick"/> a smoke check.</summary>
/// <param name="Epochs">Epochs each model sees in all (QuantU-Net's first ones are the float model's).</param>
internal sealed record DemoOptions(int ImageSize, int BaseWidth, int TrainingSlices, int HeldOutSlices, int Epochs, int BatchSize)
{
    public static DemoOptions Full { get; } = new(64, 16, 480, 160, 20, 8);
    public static DemoOptions Quick { get; } = new(64, 8, 256, 64, 12, 8);
}
