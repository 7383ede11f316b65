namespace MambaServe.Engine.Loading.PyTorch;

/// <summary>
/// A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a strided view into a storage, with the offset
/// and strides counted in elements (a tensor saved from a slice or a transpose keeps its storage and its view).
/// </summary>
internal sealed record PickledTensor(PickledStorage Storage, long Offset, long[] Shape, long[] Strides)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Row-major with no gaps, so the view is one run of the storage.</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int d = Shape.Length - 1; d >= 0; d--)
            {
                // A dimension of size 1 may carry any stride.
                if (Shape[d] != 1 && Strides[d] != expected)
                {
                    return false;
                }

                expected *= Shape[d];
            }

            return true;
        }
    }

    /// <summary>One past the last storage element the view touches (its offset when it holds no element).</summary>
    public long StorageEnd
    {
        get
        {
            if (ElementCount == 0)
            {
                return Offset;
            }

            long last = Offset;
            for (int d = 0; d < Shape.Length; d++)
            {
                last += (Shape[d] - 1) * Strides[d];
            }

            return last + 1;
        }
    }
}
