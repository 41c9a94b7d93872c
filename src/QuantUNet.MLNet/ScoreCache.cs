using Microsoft.ML;

namespace QuantUNet.MLNet;

/// <summary>Scores a batch as <see cref="ISegmentationScorer.Score"/> does.</summary>
internal delegate void ScoreBatch(ReadOnlySpan<float> images, int count, Span<float> probabilities, Span<bool> foreground);

/// <summary>
/// Scores rows on demand and keeps the last batch. Over a cursor, images are read by a second cursor over the same
/// input that runs up to a batch ahead of the consumer's, so the scorer sees whole batches while the consumer still
/// moves one row at a time; over a single row (a PredictionEngine), each new row is scored alone.
/// </summary>
internal sealed class ScoreCache : IDisposable
{
    private readonly DataViewRowCursor? _lookahead;
    private readonly Action<Span<float>> _readImage;
    private readonly ScoreBatch _score;
    private readonly ImageShape _shape;
    private readonly float[] _images;
    private readonly float[] _probabilities;
    private readonly bool[] _foreground;
    private long _first = -1;
    private int _count;

    private ScoreCache(DataViewRow source, DataViewRowCursor? lookahead, ImageColumn image, ScoreBatch score, int batchSize)
    {
        _lookahead = lookahead;
        _readImage = image.Reader(source);
        _score = score;
        _shape = image.Shape;
        _images = new float[batchSize * _shape.Values];
        _probabilities = new float[batchSize * _shape.Pixels];
        _foreground = new bool[batchSize * _shape.Pixels];
    }

    /// <summary>Scores <paramref name="batchSize"/> rows at a time, read by <paramref name="lookahead"/>, a cursor of its own over the consumer's input; disposes it.</summary>
    public static ScoreCache Batched(DataViewRowCursor lookahead, ImageColumn image, ScoreBatch score, int batchSize) =>
        new(lookahead, lookahead, image, score, batchSize);

    /// <summary>Scores the consumer's own input row each time it moves.</summary>
    public static ScoreCache PerRow(DataViewRow row, ImageColumn image, ScoreBatch score) =>
        new(row, null, image, score, batchSize: 1);

    /// <summary>The scores of the row at <paramref name="position"/>, the consumer's current row.</summary>
    public RowScores For(long position)
    {
        if (position < _first || position >= _first + _count)
            Fill(position);
        int offset = (int)(position - _first) * _shape.Pixels;
        return new RowScores(_probabilities.AsMemory(offset, _shape.Pixels), _foreground.AsMemory(offset, _shape.Pixels));
    }

    private void Fill(long position)
    {
        int count = 0;
        if (_lookahead is null)
        {
            _readImage(_images);
            count = 1;
        }
        else
        {
            while (_lookahead.Position < position)
            {
                if (!_lookahead.MoveNext())
                    throw new InvalidOperationException($"The input ended before row {position}: it must yield the same rows each time it is read.");
            }
            do
            {
                _readImage(_images.AsSpan(count * _shape.Values, _shape.Values));
                count++;
            }
            while (count * _shape.Values < _images.Length && _lookahead.MoveNext());
        }
        _score(_images.AsSpan(0, count * _shape.Values), count,
            _probabilities.AsSpan(0, count * _shape.Pixels), _foreground.AsSpan(0, count * _shape.Pixels));
        _first = position;
        _count = count;
    }

    /// <summary>Disposes the lookahead cursor; a single source row belongs to the consumer.</summary>
    public void Dispose() => _lookahead?.Dispose();
}
