"""Losses, split-conformal calibration and the estimator's interval methods."""
