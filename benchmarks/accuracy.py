"""ETTh1 accuracy with the TSMixer paper's protocol, through the public estimator API.

Train = first 8,640 rows, validation = next 2,880, test = next 2,880; a
StandardScaler fitted on the train rows; input length 512; horizons 96, 192,
336, 720; all 7 columns are targets (``fit(X)`` with ``y=None``). MSE and MAE
are over all channels, steps and test forecast origins whose horizon lies in
the test rows (the input window may reach back into the validation rows), on
the scaled data.

Early stopping and the choice among ``--grid`` configurations use the
validation rows only: the estimator is fitted on train + validation rows with
``validation_fraction`` set so that its chronological hold-out is exactly the
forecast origins whose targets are validation rows (its training targets are
then train rows only). The configuration with the lowest validation MSE is
scored once on the test rows.

    python benchmarks/accuracy.py                 # full protocol (about 30 minutes on 2 cores)
    python benchmarks/accuracy.py --horizons 96   # one horizon
    python benchmarks/accuracy.py --smoke         # seconds: tiny, checks it works
    python benchmarks/accuracy.py --horizons 96 336 --estimator-defaults \
        --grid '[{}, {"dropout": 0.9}]'           # the defaults study

``--estimator-defaults`` leaves epochs, patience and batch size at the
estimator's own defaults (``--epochs``/``--patience``/``--batch-size`` are
then ignored), so a grid entry ``{}`` is ``TSMixerRegressor(input_size=512,
horizon=h)`` with only the protocol's hold-out set. Every trial's test score
is recorded beside its validation score, so a default can be compared with
the configuration validation chose; the reported test figure is still the
chosen one's.
"""

import json
import os
import pathlib
import sys
import time

import _common
import numpy as np
import pandas as pd

DEFAULT_DATA = (
    pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "ETT-small" / "ETTh1.csv"
)
PAPER_MSE = {96: 0.361, 192: 0.404, 336: 0.420, 720: 0.463}
PAPER_MAE = {96: 0.392, 192: 0.418, 336: 0.431, 720: 0.472}
N_TRAIN, N_VAL, N_TEST = 8640, 2880, 2880
DEFAULT_GRID = [
    {"n_blocks": 2, "ff_dim": 64, "dropout": 0.9, "learning_rate": 1e-3},
    {"n_blocks": 2, "ff_dim": 64, "dropout": 0.7, "learning_rate": 1e-3},
]


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    parser.add_argument(
        "--data",
        default=os.environ.get("SKTSMIXER_ETTH1", str(DEFAULT_DATA)),
        help="path to ETTh1.csv (default: $SKTSMIXER_ETTH1 or ../shared/data/ETT-small/ETTh1.csv)",
    )
    parser.add_argument("--horizons", type=int, nargs="+", default=[96, 192, 336, 720])
    parser.add_argument("--input-size", type=int, default=512)
    parser.add_argument(
        "--grid",
        type=json.loads,
        default=DEFAULT_GRID,
        help="JSON list of TSMixerRegressor parameter dicts to choose from on validation",
    )
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--estimator-defaults",
        action="store_true",
        help="leave epochs, patience and batch size at TSMixerRegressor's defaults",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for the test suite")
    parser.add_argument(
        "--json", default=None, help="output path (default benchmarks/results/accuracy.json)"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.horizons, args.input_size, args.epochs = [8], 32, 1
        args.grid = [{"n_blocks": 1, "ff_dim": 8, "dropout": 0.1, "learning_rate": 1e-3}]
    return args


def load_scaled(path):
    """The paper's rows (train + validation + test), scaled with train statistics."""
    from sklearn.preprocessing import StandardScaler

    data = pd.read_csv(path, index_col="date", parse_dates=True)
    data = data.iloc[: N_TRAIN + N_VAL + N_TEST]
    scaler = StandardScaler().fit(data.iloc[:N_TRAIN])
    return pd.DataFrame(scaler.transform(data), index=data.index, columns=data.columns)


def holdout_fraction(input_size, horizon):
    """validation_fraction whose hold-out is the origins with validation-row targets."""
    n_rows = N_TRAIN + N_VAL
    n_origins = n_rows - input_size - horizon + 1
    n_validation_origins = N_VAL - horizon + 1
    # The estimator holds out ceil(fraction * n_origins) origins; the half
    # keeps float rounding from adding one.
    return (n_validation_origins - 0.5) / n_origins


def test_scores(estimator, scaled, input_size, horizon):
    """MSE and MAE over every test origin whose horizon lies inside the test rows."""
    first_origin = N_TRAIN + N_VAL - 1  # its targets start at the first test row
    n_origins = N_TEST - horizon + 1
    X = scaled.iloc[first_origin - input_size + 1 : N_TRAIN + N_VAL + N_TEST]
    predicted = estimator.predict(X)[input_size - 1 : input_size - 1 + n_origins]
    truth = _common.future_matrix(scaled.to_numpy()[first_origin:], horizon)[:n_origins]
    error = predicted - truth
    return float(np.mean(error**2)), float(np.mean(np.abs(error)))


def main(argv=None):
    from sktsmixer import TSMixerRegressor

    args = parse_args(argv)
    path = pathlib.Path(args.data)
    if not path.is_file():
        print(f"ETTh1.csv not found at {path}: pass --data PATH or set SKTSMIXER_ETTH1")
        return 2
    scaled = load_scaled(path)
    fit_rows = scaled.iloc[: N_TRAIN + N_VAL]
    results = []
    training = (
        {}
        if args.estimator_defaults
        else dict(batch_size=args.batch_size, epochs=args.epochs, patience=args.patience)
    )
    for horizon in args.horizons:
        trials = []
        for params in args.grid:
            estimator = TSMixerRegressor(
                input_size=args.input_size,
                horizon=horizon,
                **training,
                early_stopping=True,
                validation_fraction=holdout_fraction(args.input_size, horizon),
                random_state=args.seed,
                **params,
            )
            start = time.perf_counter()
            estimator.fit(fit_rows)
            seconds = time.perf_counter() - start
            validation_mse = min(estimator.history_["val_loss"])
            trial_mse, trial_mae = test_scores(estimator, scaled, args.input_size, horizon)
            trials.append(
                {
                    "params": params,
                    "validation_mse": validation_mse,
                    "test_mse": trial_mse,
                    "test_mae": trial_mae,
                    "epochs": estimator.n_iter_,
                    "fit_seconds": seconds,
                }
            )
            print(
                f"h={horizon} {params}: validation MSE {validation_mse:.4f}, test MSE "
                f"{trial_mse:.4f} ({estimator.n_iter_} epochs, {seconds:.0f} s)",
                flush=True,
            )
        best = min(trials, key=lambda t: t["validation_mse"])
        mse, mae = best["test_mse"], best["test_mae"]
        results.append(
            {
                "horizon": horizon,
                "test_mse": mse,
                "test_mae": mae,
                "paper_mse": PAPER_MSE.get(horizon),
                "paper_mae": PAPER_MAE.get(horizon),
                "chosen": best["params"],
                "validation_mse": best["validation_mse"],
                "trials": trials,
            }
        )
        print(
            f"h={horizon}: test MSE {mse:.3f} MAE {mae:.3f} (paper {PAPER_MSE.get(horizon)})",
            flush=True,
        )

    rows = [
        [
            r["horizon"],
            f"{r['test_mse']:.3f}",
            r["paper_mse"],
            f"{r['test_mae']:.3f}",
            r["paper_mae"],
            "yes" if r["paper_mse"] and r["test_mse"] <= r["paper_mse"] else "no",
            json.dumps(r["chosen"]),
        ]
        for r in results
    ]
    print(
        f"\nETTh1, input {args.input_size}, multivariate, scaled data (test rows {N_TRAIN + N_VAL}-"
        f"{N_TRAIN + N_VAL + N_TEST - 1})"
    )
    _common.print_table(
        [
            "horizon",
            "MSE",
            "paper MSE",
            "MAE",
            "paper MAE",
            "at/below paper",
            "chosen on validation",
        ],
        rows,
    )
    config = {k: v for k, v in vars(args).items()}
    _common.write_json(
        "accuracy",
        {"machine": _common.machine(), "config": config, "results": results},
        args.json,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
