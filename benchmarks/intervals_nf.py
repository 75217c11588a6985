"""neuralforecast's TSMixerx with a multi-quantile loss: the peer rows of ``intervals.py``.

The model (``TSMixerx``, ``loss=MQLoss(level=[80, 95])``: the quantiles 0.025,
0.1, 0.5, 0.9, 0.975) is fitted once with ``NeuralForecast.fit`` on the rows
before the validation block, as neuralforecast's documentation runs it: at
most ``--nf-max-steps`` steps, early-stopped (5 checks of 100 steps) on
``val_size`` = the last 10% of those rows, with the weights of the best check
(neuralforecast itself keeps the last ones); on EPF a window scaler
(``scaler_type="standard"``) for the generation and load forecasts (~75,000)
and hour and weekday as future inputs. It forecasts the calibration and test
origins through
``cross_validation(use_fitted=True, refit=False)``, whose cutoffs are checked
to be exactly the origins asked for. Everything here returns arrays; the
scoring (raw and conformalised) is ``intervals.py``'s. Nothing imports
neuralforecast until a model is built.
"""

import time

import _common
import electricity_prices as epf
import numpy as np
import pandas as pd

MODEL = "TSMixerx"
NF_LEVELS = [80, 95]  # MQLoss adds the median


def unavailable():
    """Why neuralforecast's TSMixerx cannot run here, or None when it can."""
    try:
        from neuralforecast import NeuralForecast  # noqa: F401
        from neuralforecast.models import TSMixerx  # noqa: F401
    except ImportError as error:
        return f"neuralforecast not importable ({error})"
    return None


def make(args, horizon, input_size, n_series, dropout, futr_exog=None, scaler_type="identity"):
    """A NeuralForecast with one TSMixerx of the sktsmixer rows' sizes, early-stopped."""
    from neuralforecast import NeuralForecast
    from neuralforecast.losses.pytorch import MQLoss
    from neuralforecast.models import TSMixerx

    _common.quiet_lightning()
    model = TSMixerx(
        h=horizon,
        input_size=input_size,
        n_series=n_series,
        futr_exog_list=futr_exog,
        n_block=2,
        ff_dim=64,
        dropout=dropout,
        learning_rate=1e-3,
        loss=MQLoss(level=NF_LEVELS),
        scaler_type=scaler_type,
        max_steps=args.nf_max_steps,
        val_check_steps=min(100, args.nf_max_steps),
        early_stop_patience_steps=epf.NF_PATIENCE,
        callbacks=[epf.best_weights_callback()],
        random_seed=args.seed,
        **epf.QUIET_TRAINER,
    )
    return NeuralForecast(models=[model], freq="h")


def columns(nf, levels):
    """The forecast column of each quantile level, as the loss names its outputs."""
    loss = nf.models[0].loss
    named = dict(zip(np.round(loss.quantiles.tolist(), 6), loss.output_names, strict=True))
    missing = [q for q in levels if round(q, 6) not in named]
    if missing or len(named) != len(levels):
        raise ValueError(f"MQLoss learns {sorted(named)}, the benchmark needs {list(levels)}")
    return [MODEL + named[round(q, 6)] for q in levels]


def fit(nf, frame, val_size):
    """Fit with a ``val_size``-row hold-out per series and keep the best check's weights."""
    start = time.perf_counter()
    nf.fit(df=frame, val_size=val_size)
    seconds = time.perf_counter() - start
    epf.restore_best_weights(nf)
    return seconds


def forecast(nf, frame, cutoffs, series, levels):
    """Quantiles ``(len(cutoffs), h, len(series), len(levels))`` made at evenly spaced cutoffs."""
    return epf.nf_forecasts(nf, frame, cutoffs, series, columns(nf, levels))


def ett_quantiles(scaled, n_train, cal_origins, test_origins, horizon, args, levels):
    """ETTh1, 7 series (unique_id = column), fitted on the train rows.

    Returns ``(calibration, test, fit_seconds)``, quantiles shaped
    ``(n_origins, horizon, 7, len(levels))``; origins are row positions.
    """
    long = scaled.rename_axis("ds").reset_index()
    long = long.melt(id_vars="ds", var_name="unique_id", value_name="y")
    long = long[["unique_id", "ds", "y"]]
    # No configuration of TSMixerx was validated on ETTh1: it gets ours (dropout included).
    nf = make(args, horizon, args.input_size, scaled.shape[1], args.dropout)
    seconds = fit(nf, long[long["ds"] < scaled.index[n_train]], int(np.ceil(0.1 * n_train)))
    series = list(scaled.columns)
    calibration = forecast(nf, long, scaled.index[cal_origins], series, levels)
    test = forecast(nf, long, scaled.index[test_origins], series, levels)
    return calibration, test, seconds


def epf_quantiles(data, args, levels):
    """EPF, both countries, future covariates, fitted on the train days.

    Returns ``(validation, test, fit_seconds)``: the midnight forecasts of each
    block, quantiles shaped ``(2 * days, 24, 1, len(levels))``, FR first.
    """
    countries = list(epf.COUNTRIES)
    frame = data.frame.assign(hour=data.frame["ds"].dt.hour, week_day=data.frame["ds"].dt.dayofweek)
    # electricity_prices.py's TSMixerx on EPF: its default dropout (0), not ours.
    exog = epf.FUTURE + epf.NF_CALENDAR
    nf = make(
        args, epf.HORIZON, args.epf_input_size, len(countries), 0.0, exog, scaler_type="standard"
    )
    hold_out = int(np.ceil(0.1 * data.train_days)) * 24
    seconds = fit(nf, frame[frame["ds"] < data.start("validation")], hold_out)

    def block(name):
        cutoffs = data.days[data.block(name)] - pd.Timedelta(hours=1)
        quantiles = forecast(nf, frame, cutoffs, countries, levels)  # (days, 24, 2, q)
        return quantiles.transpose(2, 0, 1, 3).reshape(-1, epf.HORIZON, 1, len(levels))

    return block("validation"), block("test"), seconds
