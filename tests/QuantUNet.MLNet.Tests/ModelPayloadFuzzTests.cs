using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace QuantUNet.MLNet.Tests;

/// <summary>
/// Our entry of ML.NET's model zip (<c>QuantUNet.bin</c>, <see cref="ModelPayload"/>) under damage: truncated, bit-flipped,
/// another version, and seeded random mutations, raw (the checksum must catch them) and behind a recomputed checksum
/// (the settings JSON, section lengths, and the package inside, must be parsed defensively). The only
/// exception allowed is the documented <see cref="InvalidDataException"/> naming the entry, with no slow case and no
/// allocation out of proportion to the payload.
/// </summary>
[TestClass]
public sealed class ModelPayloadFuzzTests
{
    private const string Source = "model.zip/QuantUNet.bin";
    private const int ChecksumLength = 32;
    private const int DescriptionLengthOffset = 12; // magic 8, version 4

    private static readonly string[] OddDescriptions =
    [
        "null", "{}", "[]", "{\"Columns\":null}", "{\"Height\":-1}", "{\"ScoringMode\":\"Sideways\"}", "{\"ScoringMode\":7}",
        new string('{', 3000), "{\"Summary\":{\"Layers\":[]}}", "{\"Summary\":{\"Layers\":[null]}}", "\"text\"", "{\"Channels\":1e99}",
    ];

    [TestMethod]
    public void TruncatedBitFlippedAndOtherVersionPayloadsAreRefusedNamingTheEntry()
    {
        var bytes = ModelPayload.Write(TinyModels.Integer16());
        Assert.AreEqual(ScoringMode.Integer, ModelPayload.Read(bytes, Source).Settings.ScoringMode);

        StringAssert.Contains(Refuse(bytes[..^1]), "checksum mismatch: the file is truncated or corrupted.");
        StringAssert.Contains(Refuse(bytes[..(bytes.Length / 3)]), "checksum mismatch");
        StringAssert.Contains(Refuse(bytes[..10]), "not a QuantU-Net transformer payload (wrong magic or too short).");
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 4;
        StringAssert.Contains(Refuse(flipped), "checksum mismatch");
        var future = bytes[..^ChecksumLength];
        future[8] = 3;
        StringAssert.Contains(Refuse(WithChecksum(future)), "transformer payload version 3; this build reads versions 1 to 2.");
    }

    [TestMethod]
    public void RawMutationsAreCaughtByTheChecksum()
    {
        var original = ModelPayload.Write(TinyModels.Integer16());
        var random = new Random(303);
        const int Cases = 5000;
        for (int i = 0; i < Cases; i++)
        {
            var damaged = (byte[])original.Clone();
            if (random.Next(2) == 0)
                damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
            else
                damaged = damaged[..random.Next(damaged.Length)];
            Refuse(damaged);
        }
    }

    [TestMethod]
    public void ContentMutationsBehindAValidChecksumOnlyEverRaiseTheDocumentedError()
    {
        var original = ModelPayload.Write(TinyModels.Integer16());
        var random = new Random(404);
        const int Cases = 20000;
        int loaded = 0, scorable = 0;
        for (int i = 0; i < Cases; i++)
        {
            var mutated = WithChecksum(Mutate(original[..^ChecksumLength], random));
            var watch = Stopwatch.StartNew();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var model = ModelPayload.Read(mutated, Source);
                loaded++;
                // What a loaded transformer reads from its description, and the integer scorer it makes on first use.
                var transformer = new QuantUNetTransformer(model);
                _ = (transformer.Description.Bitwidths.AverageWeightBits, transformer.Description.Bitwidths.SizeBytes, transformer.ImageColumnName);
                using var scorer = SegmentationScorer.Create(model.Package, ScoringMode.Integer, TinyModels.Size, TinyModels.Size);
                scorable++;
            }
            catch (InvalidDataException e)
            {
                StringAssert.StartsWith(e.Message, Source, $"case {i}");
            }
            catch (InvalidOperationException e) when (e.Message.StartsWith("ScoringMode.Integer needs", StringComparison.Ordinal))
            {
                // A key or the summary's Quantized flag mutated: the documented refusal of integer scoring.
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            Assert.IsLessThan(64L * mutated.Length + (4 << 20), allocated, $"case {i}: {allocated} bytes allocated for a {mutated.Length}-byte payload");
            Assert.IsLessThan(TimeSpan.FromSeconds(1), watch.Elapsed, $"case {i} took {watch.Elapsed}");
        }
        Console.WriteLine($"{Cases} content mutations: {loaded} loaded, {scorable} made an integer scorer.");
        Assert.IsTrue(scorable > 0 && loaded < Cases, "the mutations must reach both the end of the parser and its errors");
    }

    private static string Refuse(byte[] bytes)
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ModelPayload.Read(bytes, Source));
        StringAssert.StartsWith(error.Message, Source + ": ");
        return error.Message;
    }

    private static byte[] Mutate(byte[] body, Random random)
    {
        int position = random.Next(DescriptionLengthOffset, body.Length);
        switch (random.Next(6))
        {
            case 0:
                body[position] ^= (byte)(1 << random.Next(8));
                return body;
            case 1: // a length field's worth of an interesting value
                long value = new[] { 0L, -1, 1, 255, int.MaxValue, int.MinValue, long.MaxValue, body.Length }[random.Next(8)];
                Span<byte> field = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(field, value);
                field[..Math.Min(random.Next(2) == 0 ? 4 : 8, body.Length - position)].CopyTo(body.AsSpan(position));
                return body;
            case 2:
                return [.. body[..position], .. body[Math.Min(body.Length, position + random.Next(1, 40))..]];
            case 3:
                return body[..position];
            case 4: // one field of the description JSON edited in place, its length updated
                return WithDescription(body, EditJson(Description(body), random));
            default:
                return WithDescription(body, OddDescriptions[random.Next(OddDescriptions.Length)]);
        }
    }

    private static string Description(byte[] body) =>
        Encoding.UTF8.GetString(body, DescriptionLengthOffset + 4, BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(DescriptionLengthOffset)));

    /// <summary>A number in the JSON replaced by an interesting one, or a string value by null.</summary>
    private static string EditJson(string json, Random random)
    {
        var numbers = System.Text.RegularExpressions.Regex.Matches(json, @"(?<=:)(-?\d+(\.\d+)?|""[^""]*""|true|false)");
        var match = numbers[random.Next(numbers.Count)];
        string replacement = new[] { "0", "-1", "null", "2147483647", "1e300", "\"\"", "true", "65536" }[random.Next(8)];
        return json[..match.Index] + replacement + json[(match.Index + match.Length)..];
    }

    private static byte[] WithDescription(byte[] body, string json)
    {
        int oldLength = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(DescriptionLengthOffset));
        var description = Encoding.UTF8.GetBytes(json);
        byte[] result = [.. body[..(DescriptionLengthOffset + 4)], .. description, .. body[(DescriptionLengthOffset + 4 + oldLength)..]];
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(DescriptionLengthOffset), description.Length);
        return result;
    }

    private static byte[] WithChecksum(byte[] body) => [.. body, .. SHA256.HashData(body)];
}
