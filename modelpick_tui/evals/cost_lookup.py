"""What each model costs, read from the stores: its newest capacity at an SLO (evals/stores/load.py), the price of
the hardware it ran on and the API price it is compared with (evals/stores/cost.py: the user's; else OpenRouter's
from the last `catalog sync --source openrouter`), priced by evals/cost.py's arithmetic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .cost import NOT_MEASURED, CostFigures, Workload, estimate
from .prices import OPENROUTER, ApiPrice, CostError, normalise_hardware

if TYPE_CHECKING:
    from .stores.cost import PriceStore
    from .stores.load import LoadStore


class HostedPrices(Protocol):
    """Where models are hosted behind an API and at what price (catalog/source_store.py's SourceStore)."""

    def hosted_for(self, model_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]: ...


def tested_models(load: LoadStore) -> list[str]:
    """The models with a finished load test, by name."""
    return sorted({r.model for r in load.results(status="done") if r.model}, key=str.lower)


def capacity_of(load: LoadStore, model: str, slo: str | None = None,
                hardware: str | None = None) -> tuple[Any, str | None, Any]:
    """(the newest capacity result of `model` at `slo` (any SLO when None), its hardware filled with `hardware`
    where the test recorded none, None); or (None, why, the newest test when one ran): "not measured", or the
    test's own words when it ran and no load met the SLO. A newer test that found no capacity wins over an older
    one that did: the model was measured again, and failed."""
    from dataclasses import replace

    newest = load.results(model=model, slo=slo, status="done", limit=1)
    tried = newest[0] if newest else None
    cap = load.latest_capacity(model, slo)
    if cap is not None and (tried is None or tried.id == cap.id or tried.capacity_concurrency is not None):
        return (replace(cap, hardware=hardware) if not cap.hardware and hardware else cap), None, None
    if tried is not None:
        tried.levels = load.levels(tried.id)
        return None, f"no capacity at {tried.slo}: {tried.sentence or tried.reason or 'no load met it'}", tried
    return None, NOT_MEASURED, None


def hourly_price(prices: PriceStore, hardware: str | None) -> tuple[float | None, str | None]:
    """The hourly price of `hardware`: the one set for it, else COUNT × the price set for one of the same GPU (GPUs
    are rented by the GPU-hour), saying so; (None, None) when neither is set."""
    if not hardware:
        return None, None
    exact = prices.price(hardware)
    if exact is not None:
        return exact.usd_per_hour, None
    try:
        count, _, name = normalise_hardware(hardware).partition("x")
    except CostError:  # a name a load test was given by hand, not COUNTxNAME: only its own price counts
        return None, None
    one = prices.price(f"1x{name}") if name and count.isdigit() and int(count) > 1 else None
    if one is None:
        return None, None
    return one.usd_per_hour * int(count), f"{one.hardware} × {count}"


def openrouter_price(model: str, rows: Sequence[Mapping[str, Any]]) -> ApiPrice | None:
    """OpenRouter's price for `model` from its synced rows (catalog/source_store.hosted_for, cheapest first): the
    model's own listing, not a variant (":free" is rate-limited, ":nitro" a dearer route), else the cheapest variant
    with a price; a row whose price varies or is unpublished counts for nothing (no price is made up)."""
    from ..catalog.source_sync import per_million

    priced = [r for r in rows if r.get("provider", OPENROUTER) == OPENROUTER
              and r.get("prompt_price") is not None and r.get("completion_price") is not None]
    paid = [r for r in priced if not str(r["id"]).endswith(":free")]
    best = next((r for r in paid if ":" not in str(r["id"])), None) or next(iter(paid), None)
    if best is None:
        return None
    return ApiPrice(model, per_million(best["prompt_price"]) or 0.0, per_million(best["completion_price"]) or 0.0,
                    str(best.get("synced_at") or ""), source=OPENROUTER, source_id=str(best["id"]))


def api_price(prices: PriceStore, model: str, hosted: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
              links: Sequence[str] = ()) -> ApiPrice | None:
    """The API price `model` is compared with: the user's (`cost api-price`) when set, else OpenRouter's for the
    same model (its `hugging_face_id` is the model's name or one of `links`, e.g. its catalogue id); None when
    neither: "set an API price"."""
    own = prices.api_price(model)
    if own is not None or hosted is None:
        return own
    for name in (model, *links):
        found = openrouter_price(model, hosted.get(name) or [])
        if found is not None:
            return found
    return None


def cost_figures(load: LoadStore, prices: PriceStore, models: list[str] | None = None, slo: str | None = None,
                 workload: Workload | None = None, hardware: str | None = None, *, hosted: HostedPrices | None = None,
                 links: Mapping[str, Sequence[str]] | None = None) -> list[CostFigures]:
    """CostFigures per model (None: every load-tested model), each from its newest capacity at `slo` and the price
    of the hardware it ran on (`hardware` for tests that recorded none), with the model's API price: the user's,
    else OpenRouter's synced one from `hosted` (matched by the model's name or its `links`, e.g. its catalogue id).
    A model tested with no capacity keeps its test's SLO, target and levels (the scoreboard charts them)."""
    out = []
    names = models if models is not None else tested_models(load)
    links = links or {}
    rows = (hosted.hosted_for(list(dict.fromkeys([*names, *(n for m in names for n in links.get(m, ()))])))
            if hosted is not None and names else None)
    for model in names:
        cap, why, tried = capacity_of(load, model, slo, hardware)
        usd, scaled = hourly_price(prices, cap.hardware if cap is not None else None)
        fig = estimate(cap, usd, workload, api_price(prices, model, rows, links.get(model, ())), model=model)
        fig.price_from = scaled
        if why:
            fig.missing = why
        if tried is not None:
            fig.slo, fig.target, fig.levels, fig.hardware = tried.slo, tried.target, tried.levels, tried.hardware
        out.append(fig)
    return out
