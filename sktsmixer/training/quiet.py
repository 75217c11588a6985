"""Import the Keras backend without TensorFlow's C++ start-up log lines.

TensorFlow prints lines such as "Could not find cuda drivers" or "failed
call to cuInit" from C++ before its logging is configured, so
``TF_CPP_MIN_LOG_LEVEL`` alone does not silence them: on a machine without a
GPU they read like failures (TensorFlow 2.21 prints them whatever
``TF_CPP_MIN_LOG_LEVEL`` says). Unless the user asked for every log line
(``TF_CPP_MIN_LOG_LEVEL=0``), TensorFlow is imported with the process' stderr
file descriptor pointed at /dev/null for the duration of the import only.

On the other backends Keras imports TensorFlow lazily when it is installed
(to serialise a model, as pickling does): that import is silenced the same
way.
"""

import contextlib
import json
import logging
import os
import pathlib
import sys


def _keras_backend():
    if "KERAS_BACKEND" in os.environ:
        return os.environ["KERAS_BACKEND"]
    home = pathlib.Path(os.environ.get("KERAS_HOME", pathlib.Path.home() / ".keras"))
    try:
        return json.loads((home / "keras.json").read_text()).get("backend", "tensorflow")
    except (OSError, ValueError):
        return "tensorflow"


@contextlib.contextmanager
def _stderr_silenced():
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (some notebooks)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_backend_quietly():
    """Import TensorFlow (when it is the Keras backend) without its C++ start-up noise."""
    if "tensorflow" in sys.modules:
        return
    # A level the user set (often "3", to silence exactly these lines) does not
    # reach the lines logged before absl is initialised: silence the import
    # unless they asked for everything.
    level = os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if level.strip() == "0" or _keras_backend() != "tensorflow":
        return
    with _stderr_silenced():
        try:
            import tensorflow  # noqa: F401
        except ImportError:
            pass  # Keras reports a missing backend itself, with its own message


def quiet_lazy_tensorflow():
    """Silence the import of TensorFlow that Keras makes lazily on other backends."""
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL", "").strip() == "0":
        return
    try:
        from keras.src.utils import module_utils

        lazy = module_utils.tensorflow
        load = lazy.initialize
    except (ImportError, AttributeError):  # a Keras without this internal: nothing to do
        return

    def initialize():
        with _stderr_silenced():
            load()

    lazy.initialize = initialize


class _RetracingFilter(logging.Filter):
    def filter(self, record):
        # The unformatted message: formatting could raise inside TensorFlow's call.
        return "triggered tf.function retracing" not in str(record.msg)


@contextlib.contextmanager
def no_retracing_notes():
    """Drop TensorFlow's "triggered tf.function retracing" warnings inside the block.

    Predictions pad their batches to a few bucket sizes and every new size is
    traced once, on purpose; TensorFlow's note that it retraced would read
    like a bug in the user's code. Other warnings pass.
    """
    logger = logging.getLogger("tensorflow")
    note_filter = _RetracingFilter()
    logger.addFilter(note_filter)
    try:
        yield
    finally:
        logger.removeFilter(note_filter)
