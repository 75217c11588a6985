"""Training and inference speed of TSMixerRegressor beside neuralforecast's TSMixer.

Input 512, horizon 96, 7 channels, n_blocks=2, ff_dim=64 by default. Ours is
timed through the public estimator: training throughput is the windows of
the epochs after the first of a ``fit`` over their wall time (the first
epoch pays for tracing and XLA's compile, as the peer's warm-up steps do);
inference is ``predict`` (second call).
The peer is neuralforecast's own TSMixer module (benchmarks/nf_peer.py), with
the same sizes and as many torch threads as cores, timed in a child process
that never imports TensorFlow (see ``NeuralForecast``), alternating with ours
task by task, after a warm-up. Each figure is the median of ``--repeats`` runs.

    python benchmarks/speed.py            # full run, prints a table, writes JSON
    python benchmarks/speed.py --smoke    # seconds: tiny sizes, checks it works
"""

import contextlib
import statistics
import sys
import time

import _common

WITHOUT_XLA = "sktsmixer without XLA"


TIMED_EPOCHS = 4


@contextlib.contextmanager
def _epoch_ends():
    """Wall-clock times at which the epochs of the fits run in the block end."""
    import keras

    from sktsmixer.training import batches as _batches

    marks, original = [], _batches.WindowedTrainer.fit

    class Marks(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            marks.append(time.perf_counter())

    def fit(self, *args, callbacks=None, **kwargs):
        return original(self, *args, callbacks=[*(callbacks or []), Marks()], **kwargs)

    _batches.WindowedTrainer.fit = fit
    try:
        yield marks
    finally:
        _batches.WindowedTrainer.fit = original


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    _common.add_window_args(parser)
    parser.add_argument("--n-blocks", type=int, default=2)
    parser.add_argument("--ff-dim", type=int, default=64)
    parser.add_argument("--train-batch-sizes", type=int, nargs="+", default=[32, 256])
    parser.add_argument(
        "--train-windows",
        type=int,
        default=8192,
        help="windows per timed training run (at each batch size)",
    )
    parser.add_argument("--infer-batch-size", type=int, default=1024)
    parser.add_argument("--infer-windows", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--no-peer", action="store_true", help="skip neuralforecast's TSMixer module"
    )
    parser.add_argument(
        "--also-without-xla",
        action="store_true",
        help="also time ours with jit_compile=False (TensorFlow: the A/B of XLA in one run)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny configuration for the test suite"
    )
    parser.add_argument(
        "--json", default=None, help="output path (default benchmarks/results/speed.json)"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        # Checks that every path runs; its figures mean nothing.
        args.input_size, args.horizon, args.train_windows, args.infer_windows = 32, 8, 2048, 64
        args.train_batch_sizes, args.infer_batch_size, args.repeats = [16], 32, 1
    return args


class Ours:
    """The public estimator, with XLA as ``jit_compile="auto"`` chooses it for real fits.

    The timed fits are short (a few epochs of ``--train-windows``), and some
    fall below the planned work from which "auto" compiles with XLA; every
    ETTh1- or EPF-sized fit is above it. So the benchmark states the choice
    (``jit_compile``) instead of letting the length of a timing run make it.
    """

    def __init__(self, args, jit_compile=True):
        self.args = args
        self.jit_compile = jit_compile
        # Pay the process's one-time backend start-up before anything is timed.
        self._estimator(16, 1, 2).fit(
            _common.synthetic_series(args.input_size + args.horizon + 64, args.channels)
        )

    def _estimator(self, batch_size, epochs, steps):
        from sktsmixer import TSMixerRegressor

        a = self.args
        return TSMixerRegressor(
            input_size=a.input_size,
            horizon=a.horizon,
            n_blocks=a.n_blocks,
            ff_dim=a.ff_dim,
            dropout=0.1,
            batch_size=batch_size,
            epochs=epochs,
            steps_per_epoch=steps,
            early_stopping=False,
            random_state=0,
            jit_compile=self.jit_compile,
        )

    def train_windows_per_s(self, batch_size):
        a = self.args
        steps = max(1, a.train_windows // batch_size)
        X = _common.synthetic_series(a.input_size + a.horizon + steps * batch_size, a.channels)
        with _epoch_ends() as ends:
            self._estimator(batch_size, 1 + TIMED_EPOCHS, steps).fit(X)
        # Epoch to epoch, not fit against fit: the difference of two fits
        # carried the noise of two traces and compiles into two epochs.
        return TIMED_EPOCHS * steps * batch_size / (ends[-1] - ends[0])

    def infer_windows_per_s(self):
        a = self.args
        X = _common.synthetic_series(a.input_size + a.infer_windows, a.channels)
        est = self._estimator(32, 1, 1).fit(X)
        recent = X[-a.infer_windows :]
        est.predict(recent)  # traces the predict function
        start = time.perf_counter()
        est.predict(recent)
        return a.infer_windows / (time.perf_counter() - start)


def _in_peer_process(name, *args):
    import nf_peer  # torch is imported here only, never in the process that runs ours

    return getattr(nf_peer, name)(*args)


class NeuralForecast:
    """The peer, timed in a child process of its own.

    In the same process, a TensorFlow fit slowed the torch steps that followed
    it by about a quarter (624 -> 483 windows/s at batch 32 on our 2 cores), so
    the peer gets a fresh process that never imports TensorFlow. The tasks still
    alternate with ours, one at a time.
    """

    def __init__(self, args):
        import concurrent.futures
        import multiprocessing

        self.args = args
        self.pool = concurrent.futures.ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn")
        )
        try:
            self.versions = self._call("versions")
        except BaseException:
            self.close()
            raise

    def close(self):
        self.pool.shutdown()

    def _call(self, name, *args):
        return self.pool.submit(_in_peer_process, name, *args).result()

    def _sizes(self):
        a = self.args
        return (a.input_size, a.horizon, a.channels, a.n_blocks, a.ff_dim)

    def train_windows_per_s(self, batch_size):
        return self._call("train_windows_per_s", self._sizes(), self.args.train_windows, batch_size)

    def infer_windows_per_s(self):
        a = self.args
        return self._call("infer_windows_per_s", self._sizes(), a.infer_windows, a.infer_batch_size)


def main(argv=None):
    args = parse_args(argv)
    contenders = {"sktsmixer": Ours(args)}
    if args.also_without_xla:
        contenders[WITHOUT_XLA] = Ours(args, jit_compile=False)
    if not args.no_peer:
        try:
            contenders["neuralforecast"] = NeuralForecast(args)
        except ImportError as exc:
            print(f"skipping neuralforecast's TSMixer ({exc}): pip install 'sktsmixer[bench]'")
    from sktsmixer.models.tsmixer import dense_flops

    flops = dense_flops(args.input_size, args.horizon, args.channels, args.n_blocks, args.ff_dim)
    tasks = [
        (f"train batch {b}", 3 * flops, (lambda c, b=b: c.train_windows_per_s(b)))
        for b in args.train_batch_sizes
    ]
    tasks.append(
        (f"predict batch {args.infer_batch_size}", flops, lambda c: c.infer_windows_per_s())
    )
    if args.infer_batch_size != 1024 and not args.smoke:
        print("note: predict batches are chosen by the estimator (1,024 windows at most)")

    try:
        results = [
            run_task(label, task_flops, run, contenders, args.repeats)
            for label, task_flops, run in tasks
        ]
    finally:
        if "neuralforecast" in contenders:
            contenders["neuralforecast"].close()
    return report(results, contenders, args)


def run_task(label, task_flops, run, contenders, repeats):
    samples = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, contender in contenders.items():  # alternate, same machine state
            samples[name].append(run(contender))
    row = {"task": label, "flops_per_window": task_flops}
    for name, values in samples.items():
        row[name] = {
            "windows_per_s": statistics.median(values),
            "samples": values,
            "gflop_per_s": statistics.median(values) * task_flops / 1e9,
        }
    if "neuralforecast" in row:
        row["ratio"] = row["sktsmixer"]["windows_per_s"] / row["neuralforecast"]["windows_per_s"]
    return row


def report(results, contenders, args):
    headers = ["task", "sktsmixer win/s", "GFLOP/s"]
    if WITHOUT_XLA in contenders:
        headers += ["without XLA win/s"]
    if "neuralforecast" in contenders:
        headers += ["neuralforecast win/s", "GFLOP/s", "ratio"]
    rows = []
    for r in results:
        cells = [
            r["task"],
            f"{r['sktsmixer']['windows_per_s']:,.0f}",
            f"{r['sktsmixer']['gflop_per_s']:.1f}",
        ]
        if WITHOUT_XLA in r:
            cells.append(f"{r[WITHOUT_XLA]['windows_per_s']:,.0f}")
        if "neuralforecast" in r:
            cells += [
                f"{r['neuralforecast']['windows_per_s']:,.0f}",
                f"{r['neuralforecast']['gflop_per_s']:.1f}",
                f"{r['ratio']:.2f}x",
            ]
        rows.append(cells)
    info = _common.machine()
    if "neuralforecast" in contenders:
        info.update(contenders["neuralforecast"].versions)
    print(
        f"TSMixer L={args.input_size} H={args.horizon} C={args.channels} blocks={args.n_blocks} "
        f"ff={args.ff_dim}; {info['cpu']}, {info['cores']} cores, backend {info['keras_backend']}"
    )
    _common.print_table(headers, rows)
    _common.write_json(
        "speed", {"machine": info, "config": vars(args), "results": results}, args.json
    )
    return results


if __name__ == "__main__":
    sys.exit(main() and 0)
