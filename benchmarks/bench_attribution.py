"""Attribution at scale: every Wayfinder model on a path table of synthetic journeys, beside
ChannelAttribution and marketing-attribution-models on the same journeys, in the same run.

``python -m benchmarks.bench_attribution DATA CASE`` runs one case in this process and prints one
JSON line: the call's wall and CPU seconds, the process's peak RSS during the call and its
rise over the RSS at the call's start, the load time, and the credits (conversions, value).
"""

from __future__ import annotations

import gc
import json
import re
import resource
import sys
import time
from functools import partial
from importlib import import_module
from pathlib import Path

PATHS_CSV = "paths.csv"
TOUCHES = "touches.parquet"
BOOTSTRAP_REPS = 200  # the default of wayfinder.attribution.bootstrap.intervals
MARKOV_SIMS = {"defaults": 1e5, "1e7": 1e7}  # ChannelAttribution's nsim_start (1e5 by default)


# -- loading: what every case of a library needs before the timed call ---------------------------
def _paths_frame(data: Path):
    import pandas as pd

    return pd.read_csv(data / PATHS_CSV, sep=";")


def _wf_frame(data: Path):
    import wayfinder.attribution  # noqa: F401  (imported before the clock starts)

    return _paths_frame(data)


def _parse(df):
    from wayfinder.attribution.path_table import PathTable

    return PathTable.parse(
        df["path"],
        df["total_conversions"],
        nulls=df["total_null"],
        value=df["total_conversion_value"],
        sep=">",
    )


def _wayfinder(data: Path):
    return _parse(_wf_frame(data))


def _channelattribution(data: Path):
    import ChannelAttribution  # noqa: F401  (its import prints a banner and takes a while)

    return _paths_frame(data)


def _mam(data: Path):
    import polars as pl
    from mam import MAM

    # Format "session": one row per touch; MAM groups them into journeys itself. No value
    # column, so every peer model credits conversions, comparable with Wayfinder's.
    return MAM(
        pl.read_parquet(data / TOUCHES),
        format_type="session",
        channels_colname="channel",
        journey_with_conv_colname="converted",
        datetime_colname="timestamp",
        user_id_colname="journey_id",
    )


# -- the timed calls: each returns {model: {channel: [conversions, value]}} ----------------------
def _credits(*credits) -> dict:
    return {
        c.model: {
            ch: [float(x), float(v)]
            for ch, x, v in zip(c.channels, c.conversions, c.value, strict=True)
        }
        for c in credits
    }


def _wf_model(name: str, pt) -> dict:
    # import_module: the package may export functions under its submodules' names.
    if name.startswith("markov_"):
        markov = import_module("wayfinder.attribution.markov").markov
        return _credits(markov(pt, order=int(name[-1])))
    module = "shapley" if name.startswith("shapley") else "heuristics"
    return _credits(getattr(import_module(f"wayfinder.attribution.{module}"), name)(pt))


def _wf_from_paths(df) -> dict:
    from wayfinder.attribution import from_paths

    result = from_paths(df, value="total_conversion_value", nulls="total_null")
    return _credits(*result.credits.values())


def _wf_parse(df) -> dict:
    _parse(df)
    return {}


def _wf_bootstrap(pt) -> dict:
    intervals = import_module("wayfinder.attribution.bootstrap").intervals
    markov = import_module("wayfinder.attribution.markov").markov
    intervals(pt, [partial(markov, order=1)], reps=BOOTSTRAP_REPS)
    return {}


def _ca_markov(order: int, sims: float, df) -> dict:
    import ChannelAttribution as ca

    out = ca.markov_model(
        df, "path", "total_conversions", var_value="total_conversion_value",
        var_null="total_null", order=order, nsim_start=sims, ncore=1, verbose=False,
        flg_pro=False,
    )  # fmt: skip
    columns = out["channel_name"], out["total_conversions"], out["total_conversion_value"]
    rows = zip(*columns, strict=True)
    return {f"markov_{order}": {ch: [float(c), float(v)] for ch, c, v in rows}}


def _ca_heuristics(df) -> dict:
    import ChannelAttribution as ca

    out = ca.heuristic_models(
        df, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
    )
    credits = {}
    for ours, theirs in (("first_touch", "first_touch"), ("last_touch", "last_touch"),
                         ("linear", "linear_touch")):  # fmt: skip
        columns = out["channel_name"], out[f"{theirs}_conversions"], out[f"{theirs}_value"]
        credits[ours] = {ch: [float(c), float(v)] for ch, c, v in zip(*columns, strict=True)}
    return credits


def _mam_model(method: str, model: str, mam, **kwargs) -> dict:
    out = getattr(mam, method)(**kwargs).to_dict()
    rows = zip(out["channels"], out["attribution"], strict=True)
    return {model: {ch: [float(c), float(c)] for ch, c in rows}}


WF_MODELS = (
    "first_touch", "last_touch", "last_non_direct", "linear", "linear_distinct",
    "position_based", "markov_1", "markov_2", "markov_3", "shapley", "shapley_simplified",
)  # fmt: skip
#: Every case: (loader, timed call). Names start with the library they measure.
CASES: dict = {
    **{f"wayfinder {m}": (_wayfinder, partial(_wf_model, m)) for m in WF_MODELS},
    "wayfinder parse": (_wf_frame, _wf_parse),
    "wayfinder from_paths": (_wf_frame, _wf_from_paths),
    "wayfinder bootstrap": (_wayfinder, _wf_bootstrap),
    "channelattribution heuristic_models": (_channelattribution, _ca_heuristics),
    **{
        f"channelattribution markov_{k} {sims}": (_channelattribution, partial(_ca_markov, k, n))
        for k in (1, 2, 3)
        for sims, n in MARKOV_SIMS.items()
        if (k, sims) != (2, "1e7")
    },
    "mam first_click": (_mam, partial(_mam_model, "run_first_click", "first_touch")),
    "mam last_click": (_mam, partial(_mam_model, "run_last_click", "last_touch")),
    "mam linear": (_mam, partial(_mam_model, "run_linear", "linear")),
    "mam position_based": (_mam, partial(_mam_model, "run_position_based", "position_based")),
    "mam time_decay": (_mam, partial(_mam_model, "run_time_decay", "time_decay")),
    "mam markov": (_mam, partial(_mam_model, "run_markov", "markov_1")),
    "mam shapley": (_mam, partial(_mam_model, "run_shapley", "shapley")),
    "mam shapley all": (_mam, partial(_mam_model, "run_shapley", "shapley", max_size=12)),
}


def _memory_kb() -> dict[str, int]:
    status = Path("/proc/self/status").read_text()
    return {k: int(re.search(rf"{k}:\s+(\d+)", status).group(1)) for k in ("VmRSS", "VmHWM")}


def _reset_peak() -> bool:
    """Start the peak-RSS counter afresh (Linux), so the peak is the call's, not the load's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def run_case(data: Path, case: str) -> dict:
    load, call = CASES[case]
    started = time.perf_counter()
    try:
        loaded = load(data)
    except ImportError as exc:
        return {"case": case, "error": f"not installed ({exc.name})"}
    load_seconds = time.perf_counter() - started
    gc.collect()
    load_peak = _memory_kb()["VmHWM"] if _reset_peak() else None
    before = _memory_kb()["VmRSS"]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    credits = call(loaded)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    peak = _memory_kb()["VmHWM"] if load_peak else after.ru_maxrss
    return {
        "case": case,
        "seconds": seconds,
        "cpu_seconds": after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime,
        "load_seconds": load_seconds,
        "peak_mb": peak / 1024,
        "call_mb": (peak - before) / 1024,
        "load_peak_mb": (load_peak or peak) / 1024,
        "credits": credits,
    }


if __name__ == "__main__":
    print(json.dumps(run_case(Path(sys.argv[1]), sys.argv[2])))
