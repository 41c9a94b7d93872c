namespace QuantUNet.Data;

/// <summary>
/// Intensities of the synthetic tissues in one MRI contrast. Multi-channel slices use differently weighted
/// contrasts of the same anatomy, modelled on the LGG data's pre-contrast / FLAIR / post-contrast channels.
/// </summary>
internal readonly record struct TissueContrast(float Scalp, float Bone, float GreyMatter, float WhiteMatter, float Fluid, float Lesion)
{
    // Lesions are slightly dark before contrast, hyperintense in FLAIR (which also darkens fluid), enhancing after contrast.
    private static readonly TissueContrast PreContrast = new(0.72f, 0.08f, 0.48f, 0.60f, 0.15f, 0.40f);
    private static readonly TissueContrast Flair = new(0.55f, 0.06f, 0.52f, 0.42f, 0.07f, 0.88f);
    private static readonly TissueContrast PostContrast = new(0.75f, 0.10f, 0.50f, 0.62f, 0.18f, 0.78f);

    /// <summary>
    /// The contrast of channel <paramref name="channel"/> of <paramref name="channels"/>: a single channel is FLAIR;
    /// otherwise channels sweep linearly from pre-contrast through FLAIR to post-contrast, so 3 channels are exactly those.
    /// </summary>
    public static TissueContrast ForChannel(int channel, int channels)
    {
        float t = channels == 1 ? 0.5f : (float)channel / (channels - 1);
        return t <= 0.5f ? Lerp(PreContrast, Flair, 2 * t) : Lerp(Flair, PostContrast, 2 * t - 1);
    }

    private static TissueContrast Lerp(TissueContrast a, TissueContrast b, float t) => new(
        a.Scalp + t * (b.Scalp - a.Scalp),
        a.Bone + t * (b.Bone - a.Bone),
        a.GreyMatter + t * (b.GreyMatter - a.GreyMatter),
        a.WhiteMatter + t * (b.WhiteMatter - a.WhiteMatter),
        a.Fluid + t * (b.Fluid - a.Fluid),
        a.Lesion + t * (b.Lesion - a.Lesion));
}
