"""One warning per fast path that fell back to Keras' public path (see ``exceptions``)."""

import threading
import warnings

from sktsmixer.exceptions import InternalsFallbackWarning

_lock = threading.Lock()
_warned = set()


def warn_fallback(fast_path, reason, public_path, stacklevel=3):
    """Warn that ``fast_path`` is off because of ``reason``, once per process.

    Once per process, not per fit: a loop of fits (a grid search) would
    otherwise repeat the same sentence for every candidate.
    """
    with _lock:
        if fast_path in _warned:
            return
        _warned.add(fast_path)
    warnings.warn(
        f"sktsmixer turned off its {fast_path}: {reason}. Fits use {public_path} instead; "
        "results are unaffected, speed or memory may be. Upgrading or pinning keras and "
        "tensorflow to the versions sktsmixer declares brings it back.",
        InternalsFallbackWarning,
        stacklevel=stacklevel,
    )


def reset():
    """Forget which fallbacks were announced (tests)."""
    with _lock:
        _warned.clear()
