"""A picture of a training run: report.html and PNG figures from an output directory's metrics.jsonl.

    python3 -m marius.report OUTPUT_DIR [--out DIR]     (marius-run report OUTPUT_DIR runs this)

Figures, each drawn only when the run recorded its data: the loss per epoch; validation
metrics per epoch (MRR and Hits@k, or accuracy and macro F1); throughput (edges/s or
nodes/s); the pipeline stages' busy fractions; IO per epoch (bytes read and written by the
partition buffer and the device tier); peak memory. The page is self-contained (the PNGs
are embedded as data URIs) and the PNGs are also written beside it, in DIR/figures/.
Plotting uses matplotlib (Debian: python3-matplotlib) without a display.
"""

import argparse
import base64
import html
import json
import pathlib
import sys


def read_metrics(path):
    """The epoch records and the summary record of a metrics.jsonl (one JSON object per line)."""
    epochs, summary = [], None
    for number, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{number}: not a JSON object: {e}") from None
        if record.get("summary"):
            summary = record
        elif "epoch" in record:
            epochs.append(record)
    return epochs, summary


def series(epochs, *path):
    """(epoch, value) pairs of a nested key, for the epochs that have it."""
    points = []
    for record in epochs:
        value = record
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            points.append((record["epoch"], float(value)))
    return points


def figures(epochs):
    """(file name, title, y label, {label: points}) for every figure the records allow."""
    out = []

    def add(name, title, ylabel, lines):
        lines = {label: points for label, points in lines.items() if points}
        if lines:
            out.append((name, title, ylabel, lines))

    add("loss.png", "Training loss", "loss", {"loss": series(epochs, "loss")})
    add("validation.png", "Validation", "metric",
        {key: series(epochs, "valid", key) for key in ("mrr", "hits1", "hits3", "hits10", "accuracy", "macro_f1")})
    add("throughput.png", "Throughput", "per second",
        {"edges/s": series(epochs, "edges_per_sec"), "nodes/s": series(epochs, "nodes_per_sec")})
    stages = {}
    for record in epochs:
        stages.update(dict.fromkeys(record.get("pipeline", {}).get("stages", {})))
    add("stages.png", "Pipeline stages busy", "fraction of workers x epoch time",
        {stage: series(epochs, "pipeline", "stages", stage, "busy") for stage in stages})
    add("io.png", "IO per epoch", "MB",
        {f"{tier} {what}": [(e, v / 1e6) for e, v in series(epochs, key, f"bytes_{what}")]
         for tier, key in (("disk", "io"), ("device", "device_io")) for what in ("read", "written")})
    add("memory.png", "Peak memory", "MB (peak RSS so far)", {"peak RSS": series(epochs, "peak_rss_mb")})
    return out


def draw(path, title, ylabel, lines):
    import matplotlib
    matplotlib.use("Agg")  # no display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    for label, points in lines.items():
        ax.plot([e for e, _ in points], [v for _, v in points], marker="o", label=label)
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if len(lines) > 1:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def summary_rows(summary):
    """Flat (key, value) rows of the summary record's numbers and strings."""
    rows = []

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, (int, float, str)) and prefix != "summary":
            rows.append((prefix, f"{value:.6g}" if isinstance(value, float) else str(value)))

    walk("", summary or {})
    return rows


def write_report(run_dir, out_dir=None):
    """Writes out_dir/report.html (default: run_dir) and out_dir/figures/*.png; returns the page's path."""
    run_dir = pathlib.Path(run_dir)
    metrics = run_dir / "metrics.jsonl"
    if not metrics.is_file():
        raise FileNotFoundError(f"{metrics}: no such file (is {run_dir} a training run's output.dir?)")
    epochs, summary = read_metrics(metrics)
    if not epochs:
        raise ValueError(f"{metrics}: no epoch records")
    out_dir = pathlib.Path(out_dir) if out_dir else run_dir
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    sections = []
    for name, title, ylabel, lines in figures(epochs):
        png = out_dir / "figures" / name
        draw(png, title, ylabel, lines)
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        sections.append(f'<figure id="{name[:-4]}"><img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'
                        f"<figcaption>{html.escape(title)}</figcaption></figure>")
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in summary_rows(summary))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>marius run: {html.escape(str(run_dir))}</title>
<style>body{{font-family:sans-serif;margin:2em}} figure{{display:inline-block;margin:0.5em}}
table{{border-collapse:collapse}} td{{border:1px solid #ccc;padding:0.2em 0.6em}}</style></head>
<body><h1>marius run: {html.escape(str(run_dir))}</h1>
<p>{len(epochs)} epoch record(s) from {html.escape(str(metrics))}.</p>
{"".join(sections)}
<h2>Summary</h2><table>{rows or "<tr><td>no summary record (the run did not finish)</td></tr>"}</table>
</body></html>
"""
    page_path = out_dir / "report.html"
    tmp = page_path.with_suffix(".html.tmp")
    tmp.write_text(page)
    tmp.replace(page_path)  # written whole, then renamed
    return page_path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="marius report", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a training run's output directory (holding metrics.jsonl)")
    parser.add_argument("--out", help="where to write report.html and figures/ (default: the run directory)")
    args = parser.parse_args(argv)
    try:
        page = write_report(args.run_dir, args.out)
    except (OSError, ValueError) as e:
        print(f"marius report: error: {e}", file=sys.stderr)
        return 1
    except ImportError as e:
        print(f"marius report: error: {e} (install matplotlib: apt-get install python3-matplotlib)", file=sys.stderr)
        return 1
    print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
