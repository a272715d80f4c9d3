"""marius.report and `marius-run report`: a run's metrics.jsonl as report.html and PNG figures."""
import base64
import re
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
