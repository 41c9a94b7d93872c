using BitMiracle.LibTiff.Classic;

namespace QuantUNet.Data.Tests;

[TestClass]
public sealed class ChannelDetectionTests
{
    private const int Side = 4;

    [TestMethod]
    public void GreyFilesAreOneChannel()
    {
        using var folder = new TempFolder();
        WritePng(folder.File("p1/a.png"), channels: 1);
        WriteTiff(folder.File("p1/b.tif"), Photometric.MINISBLACK, samplesPerPixel: 1);

        Assert.AreEqual(1, ImageFile.DeclaredChannels(folder.File("p1/a.png")));
        Assert.AreEqual(1, ImageFile.DeclaredChannels(folder.File("p1/b.tif")));
        Assert.AreEqual(1, ImageFolderDataset.DetectChannels(folder.Path));
    }

    [TestMethod]
    public void RgbFilesAreThreeChannelsEvenWhereTheirPlanesAgree()
    {
        using var folder = new TempFolder();
        // The LGG layout: 3-sample RGB TIFFs; one slice all black, its three planes equal, as at a volume's edge.
        WriteTiff(folder.File("p1/p1_1.tif"), Photometric.RGB, samplesPerPixel: 3, black: true);
        WriteTiff(folder.File("p1/p1_2.tif"), Photometric.RGB, samplesPerPixel: 3);
        WritePng(folder.File("p2/p2_1.png"), channels: 3);

        Assert.AreEqual(3, ImageFile.DeclaredChannels(folder.File("p1/p1_1.tif")));
        Assert.AreEqual(3, ImageFile.DeclaredChannels(folder.File("p2/p2_1.png")));
        Assert.AreEqual(3, ImageFolderDataset.DetectChannels(folder.Path));
    }

    [TestMethod]
    public void MixedFolderIsRefusedNamingAGreyAndAColourImage()
    {
        using var folder = new TempFolder();
        WritePng(folder.File("p1/a.png"), channels: 1);
        WriteTiff(folder.File("p2/b.tif"), Photometric.RGB, samplesPerPixel: 3);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderDataset.DetectChannels(folder.Path));

        StringAssert.Contains(error.Message, "mixes grey and colour images");
        StringAssert.Contains(error.Message, $"grey: {folder.File("p1/a.png")}");
        StringAssert.Contains(error.Message, $"colour: {folder.File("p2/b.tif")}");
    }

    [TestMethod]
    public void UnreadableFileIsNamed()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("x.png"), "not an image");

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.DeclaredChannels(folder.File("x.png")));

        StringAssert.StartsWith(error.Message, folder.File("x.png"));
    }

    /// <summary>An image and its mask; a colour image's planes differ.</summary>
    private static void WritePng(string path, int channels)
    {
        var pixels = Enumerable.Range(0, channels * Side * Side).Select(i => i / (float)(channels * Side * Side)).ToArray();
        ImageFile.WriteImage(path, new PlanarImage(channels, Side, Side, pixels));
        ImageFile.WriteMask(MaskPath(path), new BinaryMask(Side, Side, new byte[Side * Side]));
    }

    private static void WriteTiff(string path, Photometric photometric, int samplesPerPixel, bool black = false)
    {
        var samples = Enumerable.Range(0, Side * Side * samplesPerPixel).Select(i => black ? (ushort)0 : (ushort)(i * 5)).ToArray();
        TiffFiles.Write(path, Side, Side, new TiffFiles.Layout { SamplesPerPixel = samplesPerPixel, Photometric = photometric }, samples);
        TiffFiles.Write(MaskPath(path), Side, Side, new TiffFiles.Layout(), new ushort[Side * Side]);
    }

    private static string MaskPath(string image) => Path.ChangeExtension(image, null) + ImageFolderDataset.MaskSuffix + Path.GetExtension(image);
}
