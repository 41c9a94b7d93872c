namespace QuantUNet.Cli.Demo;

/// <summary>The sizes of a demo run: <see cref="Full"/> is the real comparison, <see cref="Quick"/> a smoke check.</summary>
internal sealed record DemoSettings(
    int ImageSize, int BaseWidth, int TrainingSlices, int HeldOutSlices, int FloatEpochs, int QuantEpochs, int BatchSize)
{
    public static DemoSettings Full { get; } = new(64, 16, 480, 160, 12, 12, 8);
    public static DemoSettings Quick { get; } = new(32, 8, 256, 64, 12, 12, 8);
}
