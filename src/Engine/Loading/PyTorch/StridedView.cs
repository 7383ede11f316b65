namespace MambaServe.Engine.Loading.PyTorch;

/// <summary>Copies a strided view out of its storage bytes into a contiguous row-major array.</summary>
internal static class StridedView
{
    /// <param name="storage">The whole storage; the view was checked to lie within it.</param>
    public static byte[] Gather(byte[] storage, PickledTensor view, int elementSize)
    {
        long count = view.ElementCount;
        if (view.IsContiguous)
        {
            if (view.Offset == 0 && count * elementSize == storage.LongLength)
            {
                return storage; // the usual case: one tensor per storage, nothing to copy
            }

            return storage.AsSpan(checked((int)(view.Offset * elementSize)), checked((int)(count * elementSize))).ToArray();
        }

        var result = new byte[checked(count * elementSize)];
        if (count == 0)
        {
            return result;
        }

        CopyRows(storage, view, elementSize, result);
        return result;
    }

    /// <summary>Walks the outer indices like an odometer and copies the innermost dimension one row at a time.</summary>
    private static void CopyRows(byte[] storage, PickledTensor view, int elementSize, byte[] result)
    {
        int dims = view.Shape.Length;
        long rowLength = view.Shape[dims - 1], rowStride = view.Strides[dims - 1];
        var index = new long[dims - 1];
        long written = 0;
        while (written < result.LongLength)
        {
            long start = view.Offset;
            for (int d = 0; d < index.Length; d++)
            {
                start += index[d] * view.Strides[d];
            }

            if (rowStride == 1)
            {
                Array.Copy(storage, start * elementSize, result, written, rowLength * elementSize);
                written += rowLength * elementSize;
            }
            else
            {
                for (long i = 0; i < rowLength; i++, written += elementSize)
                {
                    Array.Copy(storage, (start + i * rowStride) * elementSize, result, written, elementSize);
                }
            }

            for (int d = index.Length - 1; d >= 0 && ++index[d] == view.Shape[d]; d--)
            {
                index[d] = 0;
            }
        }
    }
}
