"""The training engine: batches, the Keras trainer models, and the speed work.

:class:`~sktsmixer.training.trainer.Trainer` owns compile, the optimiser,
early stopping, weight averaging and interruption. Under it, each with a
public-API fallback where it touches Keras or TensorFlow internals:
grouped XLA steps (``xla_steps``), one flat Adam update (``flat_adam``),
TensorFlow's input pipeline (``tf_input``) and reference release
(``tf_references``), device placement (``devices``) and quiet logs
(``quiet``). Nothing is imported here: ``sktsmixer`` imports ``quiet``
before Keras chooses its backend.
"""
