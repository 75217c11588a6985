"""Warnings that sktsmixer issues."""

__all__ = ["InternalsFallbackWarning"]


class InternalsFallbackWarning(UserWarning):
    """A fast path that relies on a Keras or TensorFlow internal was turned off.

    sktsmixer speeds fits up with a few parts of Keras and TensorFlow that
    are not public API: a flat Adam update, several training steps per
    compiled call, the release of what TensorFlow keeps of finished fits.
    Before using one it checks that the internal is there and behaves as
    expected; when it is not, the fit takes Keras' public path instead
    (``keras.optimizers.Adam``, Keras' own train function, no release) and
    this warning says so, once per process and fast path. The results stay
    correct; fits may be slower or use more memory.

    Filter it like any warning::

        import warnings
        from sktsmixer.exceptions import InternalsFallbackWarning

        warnings.simplefilter("ignore", InternalsFallbackWarning)
    """
