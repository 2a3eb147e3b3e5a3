using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace SanReid.Trainer.Export.Quantization;

/// <summary>How an activation's range is chosen from the values seen on the calibration crops.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen: nothing is clipped, rare outliers stretch the step.</summary>
    MinMax,

    /// <summary>The p-th and (100 - p)-th percentiles of the values seen (p = 99.99 by default): the extreme tail is clipped.</summary>
    Percentile,

    /// <summary>The threshold that minimises the KL divergence between the value histogram and its quantized copy
    /// (TensorRT's entropy calibration, Migacz, "8-bit Inference with TensorRT", GTC 2017).</summary>
    Entropy,
}

/// <summary>
/// Static calibration of activation ranges: runs the float graph on ONNX Runtime (CPU) over the calibration crops
/// with every planned tensor as an extra output, and derives each tensor's range by <see cref="CalibrationMethod"/>.
/// Min-max needs one pass; percentile and entropy a second pass that fills a <see cref="Bins"/>-bin histogram over the
/// first pass's range.
/// </summary>
public static class ActivationCalibration
{
    /// <summary>Histogram bins of the percentile and entropy methods.</summary>
    public const int Bins = 2048;

    /// <summary>Default percentile of <see cref="CalibrationMethod.Percentile"/>.</summary>
    public const double DefaultPercentile = 99.99;

    /// <summary>Calibrates the range of each of <paramref name="tensors"/>.</summary>
    /// <param name="floatModel">The (BatchNorm-folded) float model; not modified.</param>
    /// <param name="tensors">Float activation tensors of the graph.</param>
    /// <param name="crops">Calibration crops, each H x W x 3 uint8 RGB as the model's input takes them.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="method">How a range is chosen.</param>
    /// <param name="percentile">p of <see cref="CalibrationMethod.Percentile"/>, in (50, 100].</param>
    /// <param name="batchSize">Crops per ONNX Runtime run.</param>
    /// <returns>Each tensor's range.</returns>
    /// <exception cref="ArgumentException">No crop, a crop of the wrong size, or a percentile out of range.</exception>
    /// <exception cref="InvalidDataException">A tensor holds a non-finite value on some crop.</exception>
    public static Dictionary<string, ActivationRange> Calibrate(ModelProto floatModel, IReadOnlyList<string> tensors, IReadOnlyList<byte[]> crops,
        int height, int width, CalibrationMethod method, double percentile = DefaultPercentile, int batchSize = 8)
    {
        if (crops.Count == 0)
        {
            throw new ArgumentException("No calibration crop.", nameof(crops));
        }

        if (!(percentile > 50 && percentile <= 100))
        {
            throw new ArgumentException($"Percentile must be in (50, 100]; got {percentile}.", nameof(percentile));
        }

        var model = floatModel.Clone();
        foreach (var tensor in tensors)
        {
            model.Graph.Output.Add(new ValueInfoProto
            {
                Name = tensor,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        using var session = new InferenceSession(model.ToByteArray());
        string input = session.InputMetadata.Keys.Single();
        var names = tensors.ToArray();
        var min = Enumerable.Repeat(float.PositiveInfinity, names.Length).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, names.Length).ToArray();
        ForEachBatch(session, input, names, crops, height, width, batchSize, (t, values) =>
        {
            foreach (float v in values)
            {
                if (!float.IsFinite(v))
                {
                    throw new InvalidDataException($"Tensor '{names[t]}' holds a non-finite value on a calibration crop; the float model is broken.");
                }

                min[t] = Math.Min(min[t], v);
                max[t] = Math.Max(max[t], v);
            }
        });

        var ranges = new Dictionary<string, ActivationRange>(StringComparer.Ordinal);
        if (method == CalibrationMethod.MinMax)
        {
            for (int t = 0; t < names.Length; t++)
            {
                ranges[names[t]] = new ActivationRange(min[t], max[t]);
            }

            return ranges;
        }

        // Second pass: a histogram per tensor. Percentile bins the signed range [min, max]; entropy bins |x| over
        // [0, max |x|] and finds one symmetric threshold (a non-negative tensor, e.g. after ReLU, is the same thing).
        var histograms = new long[names.Length][];
        var lows = new double[names.Length];
        var widths = new double[names.Length];
        for (int t = 0; t < names.Length; t++)
        {
            histograms[t] = new long[Bins];
            double absMax = Math.Max(Math.Abs(min[t]), Math.Abs(max[t]));
            lows[t] = method == CalibrationMethod.Percentile ? min[t] : 0;
            double span = method == CalibrationMethod.Percentile ? (double)max[t] - min[t] : absMax;
            widths[t] = span > 0 ? span / Bins : 1;
        }

        bool absolute = method == CalibrationMethod.Entropy;
        ForEachBatch(session, input, names, crops, height, width, batchSize, (t, values) =>
        {
            var histogram = histograms[t];
            double low = lows[t], inverse = 1 / widths[t];
            foreach (float v in values)
            {
                double x = absolute ? Math.Abs(v) : v;
                histogram[Math.Clamp((int)((x - low) * inverse), 0, Bins - 1)]++;
            }
        });

        for (int t = 0; t < names.Length; t++)
        {
            if (method == CalibrationMethod.Percentile)
            {
                var (low, high) = PercentileRange(histograms[t], lows[t], widths[t], percentile);
                ranges[names[t]] = new ActivationRange((float)Math.Max(low, min[t]), (float)Math.Min(high, max[t]));
            }
            else
            {
                bool signed = min[t] < 0;
                // uint8 over [0, T] has 256 levels for a non-negative tensor; a signed one spends about 128 on each side.
                // After ReLU most values are exactly 0, which uint8 with zero point 0 holds exactly; that spike in bin 0
                // would dominate the divergence and pull the threshold down, so it is left out.
                if (!signed)
                {
                    histograms[t][0] = 0;
                }

                double threshold = EntropyThreshold(histograms[t], widths[t], signed ? 128 : 256);
                ranges[names[t]] = new ActivationRange(signed ? (float)Math.Max(-threshold, min[t]) : min[t], (float)Math.Min(threshold, max[t]));
            }
        }

        return ranges;
    }

    /// <summary>The (100 - p)-th and p-th percentiles of a histogram (bin edges: low + i x width).</summary>
    internal static (double Low, double High) PercentileRange(long[] histogram, double low, double width, double percentile)
    {
        long total = histogram.Sum();
        double tail = total * (100 - percentile) / 100;
        long below = 0;
        int first = 0;
        while (first < histogram.Length - 1 && below + histogram[first] <= tail)
        {
            below += histogram[first++];
        }

        long above = 0;
        int last = histogram.Length - 1;
        while (last > first && above + histogram[last] <= tail)
        {
            above += histogram[last--];
        }

        return (low + first * width, low + (last + 1) * width);
    }

    /// <summary>
    /// TensorRT's entropy calibration on a histogram of |x| (bin i covers [i w, (i + 1) w)): for each candidate
    /// threshold of i bins (i &gt;= <paramref name="levels"/>), P = the first i bins with the rest added to the last,
    /// Q = P merged into <paramref name="levels"/> bins and spread back over the non-empty bins; the threshold with the
    /// smallest KL(P || Q) wins.
    /// </summary>
    internal static double EntropyThreshold(long[] histogram, double width, int levels)
    {
        int bins = histogram.Length;
        int lastNonEmpty = Array.FindLastIndex(histogram, c => c > 0);
        if (lastNonEmpty < levels)
        {
            return (lastNonEmpty + 1) * width; // fewer bins in use than levels: nothing to clip
        }

        double bestDivergence = double.PositiveInfinity;
        int best = bins;
        var p = new double[bins];
        var q = new double[bins];
        for (int i = levels; i <= bins; i++)
        {
            long outliers = 0;
            for (int j = i; j < bins; j++)
            {
                outliers += histogram[j];
            }

            for (int j = 0; j < i; j++)
            {
                p[j] = histogram[j];
            }

            p[i - 1] += outliers;
            double merge = (double)i / levels;
            for (int level = 0; level < levels; level++)
            {
                int start = (int)Math.Floor(level * merge);
                int end = level == levels - 1 ? i : (int)Math.Floor((level + 1) * merge);
                double sum = 0;
                int nonEmpty = 0;
                for (int j = start; j < end; j++)
                {
                    sum += histogram[j];
                    nonEmpty += histogram[j] > 0 ? 1 : 0;
                }

                for (int j = start; j < end; j++)
                {
                    q[j] = histogram[j] > 0 ? sum / nonEmpty : 0;
                }
            }

            double pTotal = 0, qTotal = 0;
            for (int j = 0; j < i; j++)
            {
                pTotal += p[j];
                qTotal += q[j];
            }

            double divergence = 0;
            for (int j = 0; j < i; j++)
            {
                if (p[j] <= 0)
                {
                    continue;
                }

                double pj = p[j] / pTotal;
                // A clipped mass that Q gives no room gets a tiny floor (as TensorRT's smoothing), not an infinite cost.
                double qj = Math.Max(q[j] / qTotal, 1e-12);
                divergence += pj * Math.Log(pj / qj);
            }

            if (divergence < bestDivergence)
            {
                bestDivergence = divergence;
                best = i;
            }
        }

        return (best + 0.5) * width;
    }

    private static void ForEachBatch(InferenceSession session, string input, string[] names, IReadOnlyList<byte[]> crops,
        int height, int width, int batchSize, Action<int, ReadOnlySpan<float>> visit)
    {
        int cropBytes = height * width * 3;
        for (int start = 0; start < crops.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, crops.Count - start);
            var buffer = new byte[n * cropBytes];
            for (int i = 0; i < n; i++)
            {
                if (crops[start + i].Length != cropBytes)
                {
                    throw new ArgumentException($"Calibration crop {start + i} has {crops[start + i].Length} bytes; the model takes {height}x{width}x3 = {cropBytes}.");
                }

                crops[start + i].CopyTo(buffer, i * cropBytes);
            }

            using var value = OrtValue.CreateTensorValueFromMemory(buffer, [n, height, width, 3L]);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [input], [value], names);
            for (int t = 0; t < names.Length; t++)
            {
                visit(t, outputs[t].GetTensorDataAsSpan<float>());
            }
        }
    }
}
