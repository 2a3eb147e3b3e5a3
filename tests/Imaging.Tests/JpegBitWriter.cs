namespace SanReid.Imaging.Tests;

/// <summary>Writes JPEG entropy-coded bits MSB first, stuffing 0x00 after every 0xFF byte, padding the end with ones.</summary>
internal sealed class JpegBitWriter
{
    private readonly List<byte> _bytes = [];
    private int _acc, _count;

    public void Write(int value, int length)
    {
        for (int i = length - 1; i >= 0; i--)
        {
            _acc = (_acc << 1) | ((value >> i) & 1);
            if (++_count == 8) Flush();
        }
    }

    public List<byte> Finish()
    {
        while (_count != 0) Write(1, 1); // pad with ones
        return _bytes;
    }

    private void Flush()
    {
        _bytes.Add((byte)_acc);
        if (_acc == 0xFF) _bytes.Add(0x00); // byte stuffing
        _acc = 0;
        _count = 0;
    }
}
