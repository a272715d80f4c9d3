"""marius.report and `marius-run report`: a run's metrics.jsonl as report.html and PNG figures."""
import base64
import os
import re
import shutil
import subprocess

import pytest

import marius
from marius import report
from conftest import PLANTED_CONFIG

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def trained_run(planted, name, **kw):
    with marius.Session(PLANTED_CONFIG, {"dataset.path": planted / "data", "output.dir": planted / name,
                                         "evaluation.every_epoch": True}, **kw) as s:
        s.train(3)
    return planted / name


def embedded_figures(page):
    """{figure id: PNG bytes} of the page's data-URI images."""
    found = re.findall(r'<figure id="([a-z]+)"><img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    return {name: base64.b64decode(data) for name, data in found}


def test_the_page_embeds_a_figure_for_each_recorded_series(planted, tmp_path):
    run = trained_run(planted, "report-run")
    page_path = report.write_report(run, tmp_path / "r")
    page = page_path.read_text()
    figures = embedded_figures(page)
    # Loss, validation MRR/Hits, edges/s, the stages' busy fractions and memory; no IO in memory.
    assert set(figures) == {"loss", "validation", "throughput", "stages", "memory"}, set(figures)
    for name, png in figures.items():
        assert png.startswith(PNG_MAGIC), name
        assert (tmp_path / "r" / "figures" / f"{name}.png").read_bytes() == png
    assert "train_seconds" in page and "3 epoch record(s)" in page


def test_out_of_core_runs_also_get_their_io(planted, tmp_path):
    with marius.Session(PLANTED_CONFIG, {"dataset.path": planted / "data-p4", "output.dir": planted / "report-p4",
                                         "storage.buffer_capacity": 2}) as s:
        s.train(2)
    figures = embedded_figures(report.write_report(planted / "report-p4", tmp_path / "p4").read_text())
    assert "io" in figures and figures["io"].startswith(PNG_MAGIC)


def test_marius_run_report_and_its_errors(planted, tmp_path, marius_run):
    run = trained_run(planted, "report-cli")
    done = subprocess.run([marius_run, "report", str(run), "--out", str(tmp_path / "cli")], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "cli" / "report.html")
    assert "loss" in embedded_figures((tmp_path / "cli" / "report.html").read_text())
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([marius_run, "report", str(empty)], capture_output=True, text=True)
    assert done.returncode == 1 and "metrics.jsonl: no such file" in done.stderr, done.stderr
    (empty / "metrics.jsonl").write_text('{"epoch": 1, "loss": 2.0}\nnot json\n')
    done = subprocess.run([marius_run, "report", str(empty)], capture_output=True, text=True)
    assert done.returncode == 1 and "metrics.jsonl:2: not a JSON object" in done.stderr, done.stderr


def headless_chromium():
    """A headless Chromium: $MARIUS_CHROMIUM, else Debian's chromium-headless-shell or chromium."""
    for candidate in (os.environ.get("MARIUS_CHROMIUM"), "chromium-headless-shell", "chromium"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def test_the_page_renders_in_headless_chromium(planted, tmp_path):
    """The page as a browser shows it: every figure decoded (a probe counts the images that loaded with a
    width), and a screenshot that is not blank."""
    import numpy as np
    from matplotlib import image

    browser = headless_chromium()
    if browser is None:
        pytest.skip("no headless Chromium (scripts/install-deps.sh installs chromium-headless-shell)")
    run = trained_run(planted, "report-chromium")
    page = report.write_report(run, tmp_path / "r").read_text()
    count = len(embedded_figures(page))
    assert count >= 4
    probe = tmp_path / "r" / "probe.html"
    probe.write_text(page.replace("</body>", "<script>window.addEventListener('load', () => document.body.setAttribute("
                                  "'data-rendered', [...document.images].filter(i => i.complete && i.naturalWidth > 0)"
                                  ".length + '/' + document.images.length));</script></body>"))
    flags = ["--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}"]
    # The browser is not ours: under a sanitizer build, it must not inherit the preloaded runtime.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS",
                                                            "UBSAN_OPTIONS")}
    done = subprocess.run([browser, *flags, "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f'data-rendered="{count}/{count}"' in done.stdout, re.findall(r"data-rendered=\"[^\"]*\"", done.stdout)
    shot = tmp_path / "shot.png"
    done = subprocess.run([browser, *flags, f"--screenshot={shot}", "--window-size=1200,1600",
                           (tmp_path / "r" / "report.html").as_uri()], capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    pixels = image.imread(str(shot))[..., :3]
    # A page of plots: mostly white, with lines and text in colour and black.
    assert (pixels.min(axis=2) > 0.95).mean() > 0.3 and (pixels.max(axis=2) < 0.5).mean() > 0.001
    assert np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0).shape[0] > 50
