"""The documentation builds without a warning, its gallery's examples run (quick mode)."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import REPO

NEEDED = ("sphinx", "sphinx_gallery", "numpydoc", "pydata_sphinx_theme", "matplotlib")


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"the docs extra is missing ({', '.join(missing)}): pip install -e .[docs]")
    # sphinx-gallery skips examples whose output it kept from an earlier build,
    # and autosummary keeps its stubs: start from neither (both are build outputs).
    for generated in ("auto_examples", "generated"):
        shutil.rmtree(REPO / "docs" / generated, ignore_errors=True)
    env = dict(os.environ, SKTSMIXER_DOCS_QUICK="1", TF_CPP_MIN_LOG_LEVEL="3")
    out = tmp_path / "html"
    # -E: a fresh environment, so every page and example is read again.
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-b", "html", "docs", out],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert "WARNING" not in result.stderr, result.stderr[-5000:]
    for page in ("index", "api", "benchmarks", "developer", "user_guide/panel"):
        assert (out / f"{page}.html").is_file(), page
    gallery = out / "auto_examples"
    # Every script of examples/ is in the gallery, but those conf.py leaves out.
    conf = (REPO / "docs" / "conf.py").read_text(encoding="utf-8")
    ignored = re.compile(re.search(r'"ignore_pattern": r"(.+?)"', conf).group(1))
    scripts = (REPO / "examples").glob("*.py")
    examples = sorted(p.stem for p in scripts if not ignored.search(p.name))
    assert "plot_panel_covariates" in examples
    for name in examples:
        assert (gallery / f"{name}.html").is_file(), f"gallery page of examples/{name}.py"
    # The examples ran: their figures were drawn (not only the thumbnails).
    for name in (
        "plot_forecast",
        "plot_panel_covariates",
        "plot_grid_search_panel",
        "plot_backtest",
    ):
        assert (out / "_images" / f"sphx_glr_{name}_001.png").is_file(), name
    # The benchmarks page is read from the results JSON: its figures are the file's.
    benchmarks = (out / "benchmarks.html").read_text(encoding="utf-8")
    speed = json.loads((REPO / "benchmarks" / "results" / "speed.json").read_text())
    assert "speed.json" in benchmarks and "commit" in benchmarks
    for row in speed["results"]:
        assert f"{row['sktsmixer']['windows_per_s']:.0f}" in benchmarks
