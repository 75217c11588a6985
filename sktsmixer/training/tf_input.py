"""The batches a fit reads, as ``tf.data`` pipelines that TensorFlow does not autotune.

Given a ``PyDataset``, Keras builds a ``tf.data`` pipeline with an autotuned
prefetch. Autotuning runs an optimisation thread per iterator, and a new
iterator per epoch: on two CPU cores the old iterator's teardown waited for
that thread 0.5-1.2 s at the start of one epoch in two of a covariate
model's EPF fit (100 steps of 6-8 ms each), stalls that a py-spy dump put in
``UnboundedThreadPool::LogicalThreadWrapper::~LogicalThreadWrapper``. A
fixed one-batch prefetch, untuned, ran every epoch without them.
"""

import keras
import numpy as np


class UntunedBatches:
    """One pass over ``py_dataset`` per iterator, as a ``tf.data.Dataset``.

    Each pass starts with ``py_dataset.on_epoch_end()``, the first one too:
    Keras' own adapter reshuffles once before the first epoch, so a
    shuffling dataset reads the same orders as under it (the same fits for
    a seed), and the reshuffle can never race the previous pass' prefetch.

    The first axis of every array may vary from batch to batch; a dataset
    whose items vary on other axes says so with an ``element_shapes()``
    method, which returns the structure of its items with a shape (None for
    a varying axis) in place of each array.

    Args:
        py_dataset: A ``keras.utils.PyDataset`` of NumPy batches.
    """

    def __init__(self, py_dataset):
        # The name ReleaseTensorFlowReferences looks for behind the callbacks
        # that tf.data keeps for the process' life.
        self.py_dataset = py_dataset

    def _one_pass(self):
        self.py_dataset.on_epoch_end()
        for index in range(len(self.py_dataset)):
            yield self.py_dataset[index]

    def dataset(self):
        import tensorflow as tf

        first = self.py_dataset[0]
        if hasattr(self.py_dataset, "element_shapes"):
            shapes = self.py_dataset.element_shapes()
        else:
            shapes = keras.tree.map_structure(lambda v: (None, *np.shape(v)[1:]), first)
        signature = keras.tree.map_structure_up_to(
            first,
            lambda value, shape: tf.TensorSpec(shape, tf.as_dtype(np.asarray(value).dtype)),
            first,
            shapes,
        )
        options = tf.data.Options()
        options.autotune.enabled = False
        return (
            tf.data.Dataset.from_generator(self._one_pass, output_signature=signature)
            .apply(tf.data.experimental.assert_cardinality(len(self.py_dataset)))
            .prefetch(1)
            .with_options(options)
        )


def fit_input(py_dataset):
    """What ``fit`` reads for ``py_dataset``: an untuned pipeline on TensorFlow, else itself."""
    if py_dataset is None or keras.backend.backend() != "tensorflow":
        return py_dataset
    return UntunedBatches(py_dataset).dataset()
