"""An attribution's chart and answer: every model's share by value, and the shift between last
touch and the headline model in words, with the headline's interval."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wayfinder.analyses.reasons import Reason

if TYPE_CHECKING:
    from wayfinder.analyses.attribution import AttributionSpec
    from wayfinder.attribution.credit import Credit
    from wayfinder.attribution.path_table import PathTable

#: What a goal's value is called in words.
VALUE_WORDS = {
    "purchase": "revenue",
    "repeat_purchase": "revenue",
    "closed_deal": "won revenue",
    "deal_created": "pipeline",
    "paid_subscription": "MRR",
}
#: Values that stand for no touch, or no value of the dimension: kept in the tables, left out
#: of the words (they name nothing a marketer can act on).
PLACEHOLDERS = frozenset({"(not set)", "(no touchpoint)"})
#: A model's share must move this much (points) and by this factor to be worth a sentence.
SHIFT_POINTS, SHIFT_FACTOR = 0.03, 1.25


def credit_of(credit: Credit, measure: str) -> dict[str, float]:
    """``{value: credit}`` in ``measure`` (``conversions`` or ``value``)."""
    amounts = credit.conversions if measure == "conversions" else credit.value
    return {n: float(a) for n, a in zip(credit.channels, amounts, strict=True)}


def measure_of(spec: AttributionSpec, pt: PathTable) -> tuple[str, str]:
    """``("value", "revenue")`` when conversions carry a value, else ``("conversions", ...)``."""
    if pt.total_value > 0:
        return "value", VALUE_WORDS.get(spec.goal, "value")
    return "conversions", f"{spec.goal} conversions"


def chart(
    spec: AttributionSpec, values: list[str], pt: PathTable, credits: dict[str, Credit]
) -> dict[str, Any]:
    measure, word = measure_of(spec, pt)
    total = pt.total_value if measure == "value" else pt.total_conversions
    data = []
    for name, credit in credits.items():
        amounts = credit_of(credit, measure)
        data.append(
            {
                "type": "bar",
                "name": name,
                "x": values,
                "y": [amounts.get(v, 0.0) / total if total else 0.0 for v in values],
            }
        )
    layout = {
        "title": {"text": f"Share of {word} by {spec.dimension}, model by model"},
        "barmode": "group",
        "yaxis": {"title": {"text": f"share of {word}"}, "tickformat": ".0%"},
        "xaxis": {"title": {"text": spec.dimension}},
    }
    return {"data": data, "layout": layout}


def answer(
    spec: AttributionSpec,
    values: list[str],
    pt: PathTable,
    credits: dict[str, Credit],
    cis: dict[str, Any],
) -> str:
    journeys = float(pt.journeys) if pt.paths else 0.0
    conversions = float(pt.total_conversions) if pt.paths else 0.0
    if not conversions:
        return (
            f"No {spec.goal} conversions in {spec.time} to attribute "
            f"({journeys:,.0f} journeys without one)."
        )
    measure, word = measure_of(spec, pt)
    total = pt.total_value if measure == "value" else conversions
    text = (
        f"{conversions:,.0f} {spec.goal} conversions"
        + (f" worth {pt.total_value:,.2f} in {word}" if measure == "value" else "")
        + f", from {journeys:,.0f} journeys."
    )
    head = credits.get(spec.headline_model)
    if head is None:
        return text
    shares = {v: a / total for v, a in credit_of(head, measure).items()}
    named = {v: share for v, share in shares.items() if v not in PLACEHOLDERS}
    ranked = sorted(named.items(), key=lambda kv: -kv[1])[:3]
    text += f" By {spec.headline_model}, " + ", ".join(f"{v} {s:.0%}" for v, s in ranked) + "."
    shifts = _shifts(spec, pt, credits, measure, total, cis)
    if shifts:
        text += " " + " ".join(r.sentence for r in shifts)
    return text


def reasons(
    spec: AttributionSpec, pt: PathTable, credits: dict[str, Credit], cis: dict[str, Any]
) -> list[Reason]:
    """The shifts of credit between last touch and the headline model, as the result's why."""
    if not pt.paths or not pt.total_conversions:
        return []
    measure = measure_of(spec, pt)[0]
    total = pt.total_value if measure == "value" else pt.total_conversions
    return _shifts(spec, pt, credits, measure, total, cis)


def _shifts(
    spec: AttributionSpec,
    pt: PathTable,
    credits: dict[str, Credit],
    measure: str,
    total: float,
    cis: dict[str, Any],
) -> list[Reason]:
    """The values whose credit moves most between last touch and the headline model."""
    last, head = credits.get("last_touch"), credits.get(spec.headline_model)
    if last is None or head is None or spec.headline_model == "last_touch":
        return []
    first = credits.get("first_touch")
    word = measure_of(spec, pt)[1] if measure == "value" else "conversions"
    lt = {v: a / total for v, a in credit_of(last, measure).items()}
    dd = {v: a / total for v, a in credit_of(head, measure).items()}
    ft = {v: a / total for v, a in credit_of(first, measure).items()} if first else {}
    moves = []
    for v in (set(lt) | set(dd)) - PLACEHOLDERS:
        a, b = lt.get(v, 0.0), dd.get(v, 0.0)
        big = abs(a - b) >= SHIFT_POINTS and max(a, b) >= SHIFT_FACTOR * max(min(a, b), 1e-12)
        if big:
            moves.append((abs(a - b), v, a, b))
    sentences = []
    at = 0 if measure == "conversions" else 2
    for _, v, a, b in sorted(moves, reverse=True)[:3]:
        ci = cis.get(spec.headline_model, {}).get(v)
        band = ""
        if ci is not None and ci[at] is not None:
            band = f" ({spec.confidence:.0%} CI {ci[at] / total:.0%}-{ci[at + 1] / total:.0%})"
        if a > b:
            why = "it closes journeys other channels started"
        elif ft.get(v, 0.0) > a:
            why = "it opens journeys other channels close"
        else:
            why = "it assists journeys other channels close"
        sentence = f"{v}: {a:.0%} of {word} on last touch, {b:.0%} data-driven{band} — {why}."
        evidence = {"last_touch_share": a, f"{spec.headline_model}_share": b, "measure": measure}
        if ci is not None and ci[at] is not None:
            evidence |= {"low_share": ci[at] / total, "high_share": ci[at + 1] / total}
        sentences.append(
            Reason(sentence, "attribution", evidence, people={spec.dimension: v, "converted": True})
        )
    return sentences
