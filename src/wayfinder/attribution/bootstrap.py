"""Bootstrap confidence intervals for attribution credit: resample the journeys, refit each model,
take percentiles. A replicate keeps the paths, so the models' encodings are reused and a Markov
refit is one sparse product and a few sparse solves."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from wayfinder.attribution.credit import Credit
from wayfinder.attribution.path_table import PathTable
from wayfinder.errors import ConfigError

Interval = tuple[float, float, float, float]  # lo_conv, hi_conv, lo_value, hi_value


def intervals(
    pt: PathTable,
    models: Sequence[Callable[[PathTable], Credit]],
    reps: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, dict[str, Interval]]:
    """Percentile intervals per model and channel: ``{model: {channel: (lo_conv, hi_conv,
    lo_value, hi_value)}}``.

    Each of ``reps`` replicates draws as many journeys as the table holds, with replacement
    (multinomial over the path x converted cells, :meth:`PathTable.resample`), and refits every
    model on it; the interval is the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of
    the replicates' credit. The same ``seed`` gives the same intervals.
    """
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 2:
        raise ConfigError("bootstrap needs at least 2 replicates", value=reps)
    if not 0 < level < 1:
        raise ConfigError("the confidence level must be between 0 and 1", value=level)
    if not models:
        return {}
    rng = np.random.default_rng(seed)
    names: list[str] = []
    draws: list[list[np.ndarray]] = [[] for _ in models]
    for _ in range(reps):
        replicate = pt.resample(rng)
        for i, model in enumerate(models):
            credit = model(replicate)
            if len(names) < len(models):
                names.append(credit.model)
            draws[i].append(np.stack([credit.conversions, credit.value]))
    quantiles = [(1 - level) / 2, (1 + level) / 2]
    channels = pt.channels
    result: dict[str, dict[str, Interval]] = {}
    for name, stack in zip(names, draws, strict=True):
        lo, hi = np.quantile(np.stack(stack), quantiles, axis=0)
        result[name] = {
            channel: (float(lo[0, c]), float(hi[0, c]), float(lo[1, c]), float(hi[1, c]))
            for c, channel in enumerate(channels)
        }
    return result
