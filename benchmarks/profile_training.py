"""Where a training step's time goes, per TensorFlow op (TensorFlow backend).

Runs ``--steps`` training steps of the estimator's trainer (input 512,
horizon 96, 7 channels, 2 blocks, ff_dim 64 by default) under the TensorFlow
profiler, reads the trace (XPlane) back and prints the ops with the most
time: by op type and by layer. Times are summed over the threads that ran the
ops, so shares, not seconds, are what to read.

    python benchmarks/profile_training.py --batch-size 32
    python benchmarks/profile_training.py --smoke    # tiny, for the test suite
"""

import collections
import pathlib
import sys
import tempfile

import _common
import numpy as np


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    _common.add_window_args(parser)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=48)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for the test suite")
    args = parser.parse_args(argv)
    if args.smoke:
        args.input_size, args.horizon, args.batch_size, args.steps = 32, 8, 8, 4
    return args


def op_times(logdir):
    """Sum of durations (seconds) of TensorFlow op events, keyed by 'name:type'."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    totals = collections.Counter()
    for path in pathlib.Path(logdir).rglob("*.xplane.pb"):
        space = xplane_pb2.XSpace()
        space.ParseFromString(path.read_bytes())
        for plane in space.planes:
            names = {key: meta.name for key, meta in plane.event_metadata.items()}
            for line in plane.lines:
                for event in line.events:
                    name = names.get(event.metadata_id, "")
                    if ":" in name and "/" in name:  # 'layer/.../op_name:OpType'
                        totals[name] += event.duration_ps * 1e-12
    return totals


def main(argv=None):
    args = parse_args(argv)
    import keras
    import tensorflow as tf

    from sktsmixer.data.windows import WindowLayout
    from sktsmixer.models.tsmixer import build_tsmixer
    from sktsmixer.training.batches import WindowedTrainer, WindowEndBatches

    if keras.backend.backend() != "tensorflow":
        print("profile_training.py reads TensorFlow traces: run it with KERAS_BACKEND=tensorflow")
        return 2
    n_rows = args.input_size + args.horizon + args.batch_size * args.steps
    series = np.random.default_rng(0).standard_normal((n_rows, args.channels)).astype("float32")
    model = build_tsmixer(
        args.input_size,
        args.channels,
        args.horizon,
        target_indices=list(range(args.channels)),
        dropout=0.1,
        seed=0,
    )
    layout = WindowLayout(args.input_size, args.horizon)
    trainer = WindowedTrainer(model, layout, series, series, np.arange(1, args.horizon + 1))
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3), steps_per_execution=16)
    ends = np.arange(args.input_size - 1, n_rows - args.horizon)
    batches = WindowEndBatches(
        ends, np.zeros_like(ends), args.batch_size, shuffle_seed=0, max_batches=args.steps
    )
    trainer.fit(batches, epochs=1, verbose=0, shuffle=False)  # trace outside the profile
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        trainer.fit(batches, epochs=1, verbose=0, shuffle=False)
        tf.profiler.experimental.stop()
        totals = op_times(logdir)
    if not totals:
        print("the trace held no op events")
        return 1
    grand = sum(totals.values())
    by_type, by_layer = collections.Counter(), collections.Counter()
    for name, seconds in totals.items():
        path, op_type = name.rsplit(":", 1)
        by_type[op_type] += seconds
        parts = [p for p in path.split("/") if not p.startswith(("gradient", "Adam", "adam"))]
        layer = "/".join(parts[:3]) if "mixing" in path else parts[0]
        by_layer[("backward " if "grad" in path.lower() else "") + layer] += seconds
    print(f"batch {args.batch_size}, {args.steps} steps: op time summed over threads {grand:.2f} s")
    for title, table in (("op type", by_type), ("layer", by_layer)):
        print(f"\nby {title}:")
        for key, seconds in table.most_common(args.top):
            print(f"  {100 * seconds / grand:5.1f}%  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
