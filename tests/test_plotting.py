"""ForecastDisplay and LossCurveDisplay draw what they promise (Agg backend)."""

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

from sktsmixer.plotting import ForecastDisplay, LossCurveDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def hourly(n=48, start="2024-01-01", name="load", offset=0.0):
    index = pd.date_range(start, periods=n, freq="h", name="time")
    return pd.Series(np.sin(np.arange(n) / 3) + offset, index=index, name=name)


@pytest.fixture
def parts():
    full = hourly(54)
    history, actual = full.iloc[:48], full.iloc[48:]
    forecast = actual + 0.1
    return history, forecast, forecast - 0.5, forecast + 0.5, actual


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def band_x_extent(band):
    x = np.concatenate([path.vertices[:, 0] for path in band.get_paths()])
    return x.min(), x.max()


# ------------------------------------------------------------- from_predictions


def test_from_predictions_draws_all_artists(parts):
    history, forecast, lower, upper, actual = parts
    display = ForecastDisplay.from_predictions(
        history, forecast, lower=lower, upper=upper, actual=actual, coverage=0.9
    )
    ax = display.ax_
    assert display.figure_ is ax.figure
    assert list(ax.get_lines()) == [
        display.history_line_,
        display.forecast_line_,
        display.actual_line_,
    ]
    assert isinstance(display.band_, PolyCollection) and list(ax.collections) == [display.band_]
    assert band_x_extent(display.band_) == pytest.approx(
        (mdates.date2num(forecast.index[0]), mdates.date2num(forecast.index[-1]))
    )
    np.testing.assert_allclose(display.forecast_line_.get_ydata(), forecast.to_numpy())
    np.testing.assert_allclose(display.actual_line_.get_ydata(), actual.to_numpy())
    assert legend_texts(ax) == ["history", "forecast", "90% interval", "actual"]
    assert ax.get_ylabel() == "load" and ax.get_xlabel() == "time"


def test_no_band_and_no_actual_when_not_given(parts):
    history, forecast, *_ = parts
    display = ForecastDisplay.from_predictions(history, forecast)
    assert display.band_ is None and display.actual_line_ is None
    assert len(display.ax_.get_lines()) == 2 and not display.ax_.collections
    assert legend_texts(display.ax_) == ["history", "forecast"]


def test_band_label_without_coverage_and_array_bounds(parts):
    history, forecast, lower, upper, _ = parts
    display = ForecastDisplay.from_predictions(
        history, forecast, lower=lower.to_numpy(), upper=list(upper)
    )
    assert "prediction interval" in legend_texts(display.ax_)
    assert display.lower.index.equals(forecast.index)


def test_n_history_keeps_the_last_points(parts):
    history, forecast, *_ = parts
    display = ForecastDisplay.from_predictions(history, forecast, n_history=10)
    np.testing.assert_allclose(display.history_line_.get_ydata(), history.to_numpy()[-10:])
    assert len(display.history_line_.get_xdata()) == 10
    assert len(display.history) == len(history)  # the stored data is untouched


def test_plot_on_given_axes_with_style_overrides(parts):
    history, forecast, lower, upper, _ = parts
    fig, ax = plt.subplots()
    display = ForecastDisplay(history, forecast, lower, upper).plot(
        ax,
        forecast_kw={"c": "red", "label": "TSMixer"},
        band_kw={"fc": "green", "alpha": 0.5},
        history_kw={"lw": 3},
    )
    assert display.ax_ is ax and display.figure_ is fig
    assert display.forecast_line_.get_color() == "red"
    assert display.history_line_.get_linewidth() == 3
    assert matplotlib.colors.same_color(display.band_.get_facecolor()[0][:3], "green")
    assert legend_texts(ax)[1] == "TSMixer"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lower": "forecast"}, "both lower and upper"),
        ({"upper": "forecast"}, "both lower and upper"),
        ({"lower": [0.0, 1.0], "upper": [1.0, 2.0]}, "one value per forecast step"),
        ({"lower": "short", "upper": "forecast"}, "lower has 3 values"),
        ({"actual": [1.0, 2.0]}, "one value per forecast step"),
    ],
)
def test_bad_input_raises(parts, kwargs, match):
    history, forecast, *_ = parts
    named = {"forecast": forecast, "short": forecast.iloc[:3]}
    kwargs = {k: named.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
    with pytest.raises(ValueError, match=match):
        ForecastDisplay.from_predictions(history, forecast, **kwargs)


def test_history_must_be_a_series_and_n_history_positive(parts):
    history, forecast, *_ = parts
    with pytest.raises(ValueError, match="history must be a pandas Series"):
        ForecastDisplay(history.to_numpy(), forecast)
    with pytest.raises(ValueError, match="n_history"):
        ForecastDisplay(history, forecast).plot(n_history=0)


def test_one_column_dataframes_are_accepted(parts):
    history, forecast, *_ = parts
    display = ForecastDisplay.from_predictions(history.to_frame(), forecast.to_frame())
    assert display.ax_.get_ylabel() == "load"


# ------------------------------------------------------------- from_estimator (stub)


class StubForecaster:
    """Implements the forecast() contract: the last value of each target, +-1 with coverage."""

    horizon = 4

    def __init__(self, target_names=("load", "temp"), series_column=None):
        self.target_names_ = list(target_names)
        self.series_column = series_column

    def _one(self, frame, coverage):
        index = pd.date_range(frame.index[-1], periods=self.horizon + 1, freq="h")[1:]
        out = pd.DataFrame({t: frame[t].iloc[-1] for t in self.target_names_}, index=index)
        if coverage is not None:
            for t in self.target_names_:
                out[f"{t}_lower"], out[f"{t}_upper"] = out[t] - 1, out[t] + 1
        return out

    def forecast(self, X, future=None, coverage=None, quantiles=None):
        self.future_seen_ = future
        if isinstance(X.index, pd.MultiIndex):
            groups = {k: g.droplevel(0) for k, g in X.groupby(level=0)}
        elif self.series_column is not None:
            groups = {k: g for k, g in X.groupby(self.series_column)}
        else:
            return self._one(X, coverage)
        return pd.concat({k: self._one(g, coverage) for k, g in groups.items()})


def frame(n=30, offset=0.0):
    return pd.DataFrame({"load": hourly(n, offset=offset), "temp": hourly(n, offset=offset + 5)})


def long_panel(n=30):
    return pd.concat([frame(n, offset=10 * i).assign(unique_id=uid) for i, uid in enumerate("ab")])


def test_from_estimator_single_series_with_band():
    X = frame()
    future = pd.DataFrame({"x": range(4)})
    est = StubForecaster()
    display = ForecastDisplay.from_estimator(est, X, coverage=0.8, future=future, n_history=12)
    assert est.future_seen_ is future
    np.testing.assert_allclose(display.history_line_.get_ydata(), X["load"].to_numpy()[-12:])
    np.testing.assert_allclose(display.forecast_line_.get_ydata(), X["load"].iloc[-1])
    np.testing.assert_allclose(display.upper - display.lower, 2.0)
    assert legend_texts(display.ax_)[2] == "80% interval"
    assert display.ax_.get_ylabel() == "load"


def test_from_estimator_other_target_no_coverage_and_actual_frame():
    X, later = frame(30), frame(40)
    display = ForecastDisplay.from_estimator(StubForecaster(), X, target="temp", actual=later)
    assert display.band_ is None
    np.testing.assert_allclose(display.history_line_.get_ydata(), X["temp"].to_numpy())
    # only the actual points at the forecast steps are drawn
    np.testing.assert_allclose(display.actual_line_.get_ydata(), later["temp"].iloc[30:34])
    with pytest.raises(ValueError, match="not a forecast column"):
        ForecastDisplay.from_estimator(StubForecaster(), X, target="nope")
    with pytest.raises(ValueError, match="only for a panel"):
        ForecastDisplay.from_estimator(StubForecaster(), X, series="a")


@pytest.mark.parametrize("layout", ["series_column", "multiindex"])
def test_from_estimator_panel_selects_one_series(layout):
    X = long_panel()
    if layout == "multiindex":
        X = X.rename_axis("ds").reset_index().set_index(["unique_id", "ds"])
        est = StubForecaster()
    else:
        est = StubForecaster(series_column="unique_id")
    with pytest.raises(ValueError, match=r"2 series: pass series="):
        ForecastDisplay.from_estimator(est, X)
    with pytest.raises(ValueError, match="not in the forecast"):
        ForecastDisplay.from_estimator(est, X, series="zz")
    display = ForecastDisplay.from_estimator(est, X, series="b", coverage=0.9)
    expected = frame(offset=10)["load"]
    np.testing.assert_allclose(display.history_line_.get_ydata(), expected.to_numpy())
    np.testing.assert_allclose(display.forecast_line_.get_ydata(), expected.iloc[-1])
    assert display.band_ is not None


def test_from_estimator_needs_a_dataframe_forecast():
    est = SimpleNamespace(forecast=lambda X: np.zeros((4, 1)), target_names_=["y"])
    with pytest.raises(ValueError, match="DataFrame with a time index"):
        ForecastDisplay.from_estimator(est, np.zeros((30, 1)))


# ------------------------------------------------------------- LossCurveDisplay


def test_loss_curve_lines_and_data():
    history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.2, 0.8, 0.7]}
    display = LossCurveDisplay(history).plot(log_scale=True)
    ax = display.ax_
    assert list(ax.get_lines()) == [display.train_line_, display.validation_line_]
    np.testing.assert_allclose(display.train_line_.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(display.train_line_.get_ydata(), history["loss"])
    np.testing.assert_allclose(display.validation_line_.get_ydata(), history["val_loss"])
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    assert legend_texts(ax) == ["training loss", "validation loss"]


def test_loss_curve_without_validation_from_history_object():
    display = LossCurveDisplay(SimpleNamespace(history={"loss": [3.0, 2.0]})).plot()
    assert display.validation_line_ is None and len(display.ax_.get_lines()) == 1
    assert display.ax_.get_yscale() == "linear"


def test_loss_curve_from_estimator_and_bad_history():
    est = SimpleNamespace(history_={"loss": [2.0, 1.0], "val_loss": [2.5, 1.5]}, fit=None)
    display = LossCurveDisplay.from_estimator(est)
    assert len(display.ax_.get_lines()) == 2
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(SimpleNamespace())
    with pytest.raises(ValueError, match="non-empty 'loss'"):
        LossCurveDisplay({"val_loss": [1.0]})


# ------------------------------------------------------------- without matplotlib


def test_import_error_names_the_extra(monkeypatch, parts):
    history, forecast, *_ = parts
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    calls = [
        lambda: ForecastDisplay.from_predictions(history, forecast),
        lambda: ForecastDisplay(history, forecast).plot(),
        lambda: ForecastDisplay.from_estimator(StubForecaster(), frame()),
        lambda: LossCurveDisplay({"loss": [1.0]}).plot(),
    ]
    for call in calls:
        with pytest.raises(ImportError, match=r"pip install sktsmixer\[plot\]"):
            call()


# ------------------------------------------------------------- with the real estimator


def hourly_frame(n=240, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    index = pd.date_range("2024-01-01", periods=n, freq="h")
    return pd.DataFrame(
        {
            "load": 10 + 3 * np.sin(2 * np.pi * t / 24) + 0.2 * rng.standard_normal(n),
            "other": 5 + np.cos(2 * np.pi * t / 24) + 0.2 * rng.standard_normal(n),
        },
        index=index,
    )


@pytest.fixture(scope="session")
def fitted_forecaster():
    from sktsmixer import TSMixerRegressor

    data = hourly_frame()
    est = TSMixerRegressor(input_size=24, horizon=6, n_blocks=1, ff_dim=8, epochs=2, random_state=0)
    return est.fit(data.iloc[:200]), data


@pytest.mark.slow
def test_from_estimator_with_the_real_estimator(fitted_forecaster):
    est, data = fitted_forecaster
    X = data.iloc[:200]
    display = ForecastDisplay.from_estimator(est, X, coverage=0.9, actual=data, n_history=48)
    forecast = est.forecast(X, coverage=0.9)
    assert est.target_names_[0] == "load"
    np.testing.assert_allclose(display.forecast_line_.get_ydata(), forecast["load"].to_numpy())
    np.testing.assert_allclose(display.lower, forecast["load_lower"].to_numpy())
    np.testing.assert_allclose(display.upper, forecast["load_upper"].to_numpy())
    assert band_x_extent(display.band_) == pytest.approx(
        (mdates.date2num(forecast.index[0]), mdates.date2num(forecast.index[-1]))
    )
    np.testing.assert_allclose(display.actual_line_.get_ydata(), data["load"].iloc[200:206])
    assert len(display.history_line_.get_ydata()) == 48
    assert legend_texts(display.ax_) == ["history", "forecast", "90% interval", "actual"]


@pytest.mark.slow
def test_loss_curve_with_the_real_estimator(fitted_forecaster):
    est, _ = fitted_forecaster
    display = LossCurveDisplay.from_estimator(est)
    np.testing.assert_allclose(display.train_line_.get_ydata(), est.history_["loss"])
    assert len(display.train_line_.get_xdata()) == est.n_iter_ == 2
    assert display.validation_line_ is not None  # early stopping holds out validation data
    np.testing.assert_allclose(display.validation_line_.get_ydata(), est.history_["val_loss"])


@pytest.mark.slow
def test_from_estimator_with_a_real_panel():
    from sktsmixer import TSMixerRegressor

    panel = pd.concat(
        [hourly_frame(seed=i)[["load"]].assign(unique_id=uid) for i, uid in enumerate("ab")]
    )
    est = TSMixerRegressor(
        input_size=24,
        horizon=6,
        n_blocks=1,
        ff_dim=8,
        epochs=1,
        series_column="unique_id",
        random_state=0,
    )
    est.fit(panel)
    with pytest.raises(ValueError, match="pass series="):
        ForecastDisplay.from_estimator(est, panel)
    display = ForecastDisplay.from_estimator(est, panel, series="b", coverage=0.8)
    expected = est.forecast(panel, coverage=0.8).xs("b", level=0)
    np.testing.assert_allclose(display.forecast_line_.get_ydata(), expected["load"].to_numpy())
    np.testing.assert_allclose(
        display.history_line_.get_ydata(), panel.loc[panel.unique_id == "b", "load"].to_numpy()
    )


@pytest.mark.slow
def test_plot_forecast_example_writes_both_figures(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "plot_forecast.py"), str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("forecast.png", "loss_curve.png"):
        assert (tmp_path / name).stat().st_size > 10_000
        assert name in result.stdout
