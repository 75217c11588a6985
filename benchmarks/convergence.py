"""Small-data convergence: how many epochs until the model beats seasonal naive.

The test suite's three-channel hourly series (a daily cycle, a lagged copy of
it with a weekly cycle, a product of both; Gaussian noise): the estimator is
fitted on the first 1,100 rows (input 48, horizon 12, one block,
``ff_dim=16``, batch 64, the estimator's default learning rate and dropout,
no early stopping, so every variant trains for exactly ``epochs`` epochs)
and scored on the next 300 rows, every origin whose horizon lies inside
them. The score is the MSE divided by a seasonal-naive forecast's (each
target step's value 24 steps before): below 1 beats it.

``--glorot-projection`` adds the variant the library used before: the
temporal projection's kernel drawn from ``GlorotUniform`` instead of zeros
(the library's own layer argument, swapped into the model builder for this
run only). Variants alternate seed by seed in one process.

    python benchmarks/convergence.py                          # about 4 minutes on 2 cores
    python benchmarks/convergence.py --glorot-projection      # the A/B of the zero start
    python benchmarks/convergence.py --learning-rates 0.001 0.003 --epochs 15 30
"""

import contextlib
import time

import _common
import numpy as np

N_FIT, N_SCORED_ROWS, INPUT_SIZE, HORIZON, SEASON, BATCH_SIZE = 1100, 300, 48, 12, 24, 64


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    parser.add_argument("--epochs", type=int, nargs="+", default=[15, 30, 60])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--learning-rates", type=float, nargs="+", default=[None])
    parser.add_argument("--dropouts", type=float, nargs="+", default=[None])
    parser.add_argument("--glorot-projection", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="one short fit, checks it works")
    parser.add_argument("--json", default=None, help="default benchmarks/results/convergence.json")
    args = parser.parse_args(argv)
    if args.smoke:
        args.epochs, args.seeds = [2], [0]
    return args


def scoring_arrays(values):
    """Truth and seasonal-naive forecasts, in ``predict``'s column order."""
    truth = _common.future_matrix(values[N_FIT:], HORIZON)
    n_scored = len(truth)
    rows = N_FIT + np.arange(n_scored)[:, None] + np.arange(1, HORIZON + 1) - SEASON
    return truth, values[rows].reshape(n_scored, -1)


@contextlib.contextmanager
def glorot_projection(active):
    """Builds the past-only model with a GlorotUniform temporal projection."""
    if not active:
        yield
        return
    import sktsmixer.models.tsmixer as model_module

    original = model_module.TemporalProjection

    class GlorotProjection(original):
        def __init__(self, *args, kernel_initializer=None, **kwargs):
            super().__init__(*args, **kwargs)

    model_module.TemporalProjection = GlorotProjection
    try:
        yield
    finally:
        model_module.TemporalProjection = original


def ratio_to_naive(values, truth, naive, epochs, seed, glorot, **params):
    from sktsmixer import TSMixerRegressor

    estimator = TSMixerRegressor(
        input_size=INPUT_SIZE,
        horizon=HORIZON,
        n_blocks=1,
        ff_dim=16,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        early_stopping=False,
        # the scored rows continue the fitted ones: their windows reach back into them
        context="continue",
        random_state=seed,
        **{k: v for k, v in params.items() if v is not None},
    )
    start = time.perf_counter()
    with glorot_projection(glorot):
        estimator.fit(values[:N_FIT])
    seconds = time.perf_counter() - start
    predicted = estimator.predict(values[N_FIT:])[: len(truth)]
    ratio = float(np.mean((predicted - truth) ** 2) / np.mean((naive - truth) ** 2))
    # every window whose input and horizon lie in the fitted rows trains (no hold-out)
    steps_per_epoch = int(np.ceil((N_FIT - INPUT_SIZE - HORIZON + 1) / BATCH_SIZE))
    return ratio, seconds, estimator.n_iter_ * steps_per_epoch


def main(argv=None):
    args = parse_args(argv)
    values = _common.seasonal_series(n_rows=N_FIT + N_SCORED_ROWS)
    truth, naive = scoring_arrays(values)
    inits = ["zeros", "glorot"] if args.glorot_projection else ["zeros"]
    variants = [
        {"projection": init, "learning_rate": lr, "dropout": d, "epochs": e}
        for e in args.epochs
        for lr in args.learning_rates
        for d in args.dropouts
        for init in inits
    ]
    for variant in variants:
        variant["ratios"], variant["seconds"] = [], []
    for seed in args.seeds:
        for variant in variants:
            ratio, seconds, steps = ratio_to_naive(
                values,
                truth,
                naive,
                variant["epochs"],
                seed,
                variant["projection"] == "glorot",
                learning_rate=variant["learning_rate"],
                dropout=variant["dropout"],
            )
            variant["ratios"].append(ratio)
            variant["seconds"].append(seconds)
            variant["steps"] = steps
            print(
                f"seed {seed} {variant['projection']} lr={variant['learning_rate']} "
                f"dropout={variant['dropout']} epochs={variant['epochs']}: {ratio:.3f}",
                flush=True,
            )
    rows = [
        [
            v["projection"],
            v["learning_rate"] or "default",
            v["dropout"] if v["dropout"] is not None else "default",
            v["epochs"],
            v["steps"],
            f"{np.mean(v['ratios']):.3f} +- {np.std(v['ratios']):.3f}",
            " / ".join(f"{r:.3f}" for r in v["ratios"]),
            "yes" if max(v["ratios"]) < 1 else "no",
        ]
        for v in variants
    ]
    print(f"\nMSE / seasonal-naive MSE, fit on {N_FIT} rows, scored on the next {N_SCORED_ROWS}")
    _common.print_table(
        ["projection", "lr", "dropout", "epochs", "steps", "ratio", "per seed", "all seeds < 1"],
        rows,
    )
    _common.write_json(
        "convergence",
        {"machine": _common.machine(), "config": vars(args), "results": variants},
        args.json,
    )


if __name__ == "__main__":
    main()
