"""The trainer on its own: a Keras model and encoded windows, no estimator."""

import keras
import numpy as np
import pandas as pd
import pytest

from sktsmixer.data import PanelEncoder, parse_panel
from sktsmixer.models import build_tsmixer
from sktsmixer.training.trainer import Trainer
from sktsmixer.uncertainty.calibration import calibrate

INPUT, HORIZON = 24, 6


def windows(holdout=(0.2, "set early_stopping=False"), n_rows=600):
    t = np.arange(n_rows)
    rng = np.random.default_rng(0)
    values = np.sin(2 * np.pi * t / 24) + 0.05 * rng.standard_normal(n_rows)
    X = pd.DataFrame({"y": values}, index=pd.date_range("2024-01-01", periods=n_rows, freq="h"))
    panel = parse_panel(X)[0]
    encoder = PanelEncoder(
        input_size=INPUT,
        horizon=HORIZON,
        dynamic_names=["y"],
        static_names=[],
        target_indices=np.array([0]),
        future_indices=np.array([], dtype=int),
        time_feature_names=[],
    )
    return encoder.fit_transform(panel, holdout=holdout)


def model(seed=0):
    return build_tsmixer(
        INPUT, 1, HORIZON, target_indices=[0], n_blocks=1, ff_dim=8, dropout=0.0, seed=seed
    )


def trainer(**kwargs):
    params = dict(
        loss="squared_error",
        quantiles=None,
        batch_size=32,
        learning_rate=3e-3,
        epochs=8,
        steps_per_epoch=None,
        patience=3,
    )
    return Trainer(**{**params, **kwargs})


def test_the_trainer_learns_the_windows_and_scores_the_hold_out():
    data = windows()
    net = model()
    fitted = trainer().fit(net, data, seed=0)
    assert fitted.n_iter_ == len(fitted.history_["loss"]) == len(fitted.history_["val_loss"])
    assert fitted.history_["loss"][-1] < 0.5 * fitted.history_["loss"][0]
    truth, raw = fitted.holdout_forecasts(net, data)
    assert truth.shape == raw.shape == (len(data.validation[0]), HORIZON, 1)
    # the scaled sine: the model beats forecasting its mean (zero) on the hold-out
    assert np.mean((raw - truth) ** 2) < 0.2 * np.mean(truth**2)
    conformal = calibrate((truth, raw))
    lower, upper = conformal.interval(raw, None, 0.8)
    inside = np.mean((truth >= lower) & (truth <= upper))
    assert 0.7 <= inside <= 0.9  # split conformal: about the coverage asked, on its own data


def test_without_a_hold_out_there_is_no_val_loss_and_no_calibration():
    data = windows(holdout=None)
    fitted = trainer(epochs=2).fit(model(), data, seed=0)
    assert "val_loss" not in fitted.history_ and fitted.n_iter_ == 2
    assert fitted.holdout_forecasts(model(), data) is None
    assert calibrate(None) is None


def test_an_interrupt_keeps_the_best_weights_and_warns(monkeypatch):
    data = windows()
    net = model()

    def stop_in_epoch_three(self, batch, logs=None):
        if len(self.epoch) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(keras.callbacks.History, "on_train_batch_end", stop_in_epoch_three)
    with pytest.warns(UserWarning, match="interrupted after 2 complete epoch"):
        fitted = trainer().fit(net, data, seed=0)
    assert fitted.n_iter_ == 2
    best = int(np.argmin(fitted.history_["val_loss"]))
    truth, raw = fitted.holdout_forecasts(net, data)
    # the weights kept score the hold-out as the best epoch did (same metric: mse)
    assert np.mean((raw - truth) ** 2) == pytest.approx(fitted.history_["val_loss"][best], rel=1e-3)


def test_the_batch_size_must_split_over_the_devices(monkeypatch):
    from sktsmixer.training import trainer as trainer_module

    monkeypatch.setattr(trainer_module, "n_replicas", lambda: 3)
    with pytest.raises(ValueError, match="multiple of the 3 devices.*batch_size=33"):
        trainer().fit(model(), windows(), seed=0)
