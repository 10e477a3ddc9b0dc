"""The benchmark's pandas peer: the core KPIs computed with pandas straight from
the landed files, as a user without this project would write them, applying
the same cleaning rules the marts apply (latest version of each key, soft
deletes dropped, malformed rows skipped, stage / source names mapped through
the seeds, amounts converted at the rate of the day, duplicate form
submissions merged). `python -m crm_dev.bench` times it and checks it.

KPIs (one frame each):

- `sales_by_rep_month`: per owner rep and month of close: won and lost deal
  counts, won revenue (reporting currency), average deal size and win rate;
- `leads_by_source_month`: leads created per lead source and month;
- `case_resolution_by_month`: mean hours from opening to resolution of the
  cases resolved in the month.

`compare_with_marts` checks them against kpi_sales_monthly (dimension
'owner'), kpi_marketing_leads_monthly and kpi_service_cases_monthly.

This module is the benchmark's yardstick; the KPIs themselves are dbt models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Window within which a second submission of a form by the same email is a
#: duplicate (dbt var duplicate_submission_minutes).
DUPLICATE_SECONDS = 600


def _read_table(landing: Path, table: str, columns: list[str]) -> pd.DataFrame:
    """Every file of a table in load order (file, then row), all columns as text,
    with `_file` and `_row` positions."""
    frames = []
    for i, path in enumerate(sorted((landing / table).iterdir())):
        if path.suffix == ".csv":
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                on_bad_lines="skip",
                usecols=lambda c: c.strip().lower() in columns,
            )
        elif path.suffix == ".jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
        elif path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            continue
        frame.columns = [c.strip().lower() for c in frame.columns]
        frame = frame[[c for c in columns if c in frame.columns]]
        frame["_file"] = i
        frame["_row"] = np.arange(len(frame))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _timestamp(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """UTC timestamps without zone (offsets honoured) and a mask of text that is
    present but not a timestamp (a malformed row)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series.dt.tz_convert("UTC") if series.dt.tz is not None else series
        parsed = parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed
        return parsed.astype("datetime64[us]"), pd.Series(False, index=series.index)
    text = series.astype("string").str.strip()
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    bad = text.notna() & (text != "") & parsed.isna()
    return parsed.dt.tz_localize(None).astype("datetime64[us]"), bad


def _number(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = series.astype("string").str.strip()
    parsed = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & (text != "") & parsed.isna()
    return parsed, bad


def _latest(
    frame: pd.DataFrame, key: str, version: str | None, deleted: str | None
) -> pd.DataFrame:
    """The latest version of each key (ties: later file, later row); keys whose
    latest version is soft-deleted dropped."""
    order = [key, version, "_file", "_row"] if version else [key, "_file", "_row"]
    frame = frame.sort_values(order, na_position="first", kind="stable")
    frame = frame.drop_duplicates(key, keep="last")
    if deleted:
        flag = frame[deleted].astype("string").str.strip().str.lower()
        frame = frame[~flag.isin(["true", "t", "1", "yes"])]
    return frame


def _seed(seeds: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(seeds / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])


def _mapped(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip().str.lower().replace("", pd.NA)


def _round2(values: pd.Series) -> pd.Series:
    """Round half away from zero to cents, like a DuckDB decimal cast."""
    return np.sign(values) * np.floor(np.abs(values) * 100 + 0.5 + 1e-9) / 100


def _month(ts: pd.Series) -> pd.Series:
    return ts.dt.to_period("M").dt.to_timestamp()


# --------------------------------------------------------------------------- KPIs


def _opportunities(landing: Path, stages: pd.DataFrame) -> pd.DataFrame:
    """The latest version of each well-formed deal, with its stage's flags."""
    cols = [
        "opportunity_id",
        "owner_rep_id",
        "stage_name",
        "currency_code",
        "amount",
        "created_at",
        "closed_at",
        "updated_at",
        "is_deleted",
    ]
    opps = _read_table(landing, "opportunities", cols)
    bad = opps["opportunity_id"].astype("string").str.strip().fillna("").eq("")
    for col in ("created_at", "closed_at", "updated_at"):
        opps[col], malformed = _timestamp(opps[col])
        bad |= malformed
    opps["amount"], malformed = _number(opps["amount"])
    bad |= malformed | (opps["amount"] < 0).fillna(False)
    opps = _latest(opps[~bad], "opportunity_id", "updated_at", "is_deleted")

    opps["raw_stage_name"] = _mapped(opps["stage_name"])
    opps = opps.merge(
        stages[["raw_stage_name", "is_closed", "is_won"]], on="raw_stage_name", how="left"
    )
    opps["is_closed"] = opps["is_closed"].astype("boolean").fillna(False).astype(bool)
    opps["is_won"] = opps["is_won"].astype("boolean").fillna(False).astype(bool)
    return opps


def _with_latest_closed_at(opps: pd.DataFrame, landing: Path, stages: pd.DataFrame) -> pd.DataFrame:
    """`latest_closed_at` of each closed deal: its closed_at, else (a closed deal
    without closed_at) its latest entry into a closed stage."""
    history = _read_table(
        landing,
        "opportunity_stage_history",
        ["stage_history_id", "opportunity_id", "stage_name", "entered_at"],
    )
    history = history[history["stage_history_id"].notna()]
    history["entered_at"], _ = _timestamp(history["entered_at"])
    history = _latest(history, "stage_history_id", None, None)
    history["raw_stage_name"] = _mapped(history["stage_name"])
    history = history.merge(
        stages[["raw_stage_name", "is_closed"]], on="raw_stage_name", how="left"
    )
    last_closed = (
        history[history["is_closed"].astype("boolean").fillna(False).astype(bool)]
        .groupby("opportunity_id")["entered_at"]
        .max()
        .rename("last_closed_entered_at")
    )
    opps = opps.merge(last_closed, left_on="opportunity_id", right_index=True, how="left")
    opps["latest_closed_at"] = opps["closed_at"].where(
        opps["closed_at"].notna(), opps["last_closed_entered_at"]
    )
    opps.loc[~opps["is_closed"], "latest_closed_at"] = pd.NaT
    return opps


def _in_reporting_currency(opps: pd.DataFrame, seeds: Path) -> pd.DataFrame:
    """The deals with a conversion date, `amount_usd` at the rate of the close
    (open: creation) date."""
    rates = _seed(seeds, "exchange_rates")
    rates["currency_code"] = rates["currency_code"].astype("string").str.strip().str.upper()
    rates["rate_date"] = pd.to_datetime(rates["rate_date"]).astype("datetime64[us]")
    rates["usd_per_unit"] = rates["usd_per_unit"].astype(float)
    usd = rates[rates["currency_code"] == "USD"][["rate_date", "usd_per_unit"]]
    rates = rates.merge(usd, on="rate_date", suffixes=("", "_reporting"))
    rates["rate"] = rates["usd_per_unit"] / rates["usd_per_unit_reporting"]
    opps["currency_code"] = opps["currency_code"].astype("string").str.strip().str.upper()
    opps["conversion_date"] = (
        opps["closed_at"].where(opps["closed_at"].notna(), opps["created_at"]).dt.floor("D")
    )
    opps = opps.sort_values("conversion_date", kind="stable")
    converted = pd.merge_asof(
        opps[opps["conversion_date"].notna()],
        rates[["rate_date", "currency_code", "rate"]].sort_values("rate_date"),
        left_on="conversion_date",
        right_on="rate_date",
        by="currency_code",
        direction="backward",
    )
    converted["amount_usd"] = _round2(converted["amount"] * converted["rate"])
    return converted


def _stages(seeds: Path) -> pd.DataFrame:
    stages = _seed(seeds, "stages")
    stages["is_closed"] = stages["is_closed"].eq("true")
    stages["is_won"] = stages["is_won"].eq("true")
    return stages


def _grid(months: pd.Series, members: pd.Series, member: str) -> pd.DataFrame:
    """Every month x every member: the rows of a mart's spine."""
    return pd.DataFrame({"month_start_date": months}).merge(
        pd.DataFrame({member: members}), how="cross"
    )


def sales_by_rep_month(opps: pd.DataFrame, months: pd.Series, seeds: Path) -> pd.DataFrame:
    """Won / lost / closed deals, won revenue, average deal size and win rate per
    owner (every owner of a deal, 'unknown' for none) and month of the spine."""
    converted = _in_reporting_currency(opps, seeds)
    closed = converted[converted["is_closed"] & converted["latest_closed_at"].notna()].copy()
    closed["month_start_date"] = _month(closed["latest_closed_at"])
    closed["owner"] = closed["owner_rep_id"].fillna("unknown")
    closed["is_lost"] = ~closed["is_won"]
    closed["won_amount"] = closed["amount_usd"].where(closed["is_won"])
    closed["won_with_amount"] = closed["is_won"] & closed["amount_usd"].notna()
    grouped = closed.groupby(["owner", "month_start_date"]).agg(
        opportunities_won=("is_won", "sum"),
        opportunities_lost=("is_lost", "sum"),
        won_revenue=("won_amount", lambda amounts: amounts.sum(min_count=1)),
        opportunities_won_with_amount=("won_with_amount", "sum"),
    )
    owners = pd.Series(opps["owner_rep_id"].fillna("unknown").unique())
    grid = _grid(months, owners, "owner").merge(
        grouped.reset_index(), on=["owner", "month_start_date"], how="left"
    )
    for col in ("opportunities_won", "opportunities_lost", "opportunities_won_with_amount"):
        grid[col] = grid[col].fillna(0).astype("int64")
    # unknown is not zero: null when won deals have no known amount, 0 without won deals
    grid.loc[grid["opportunities_won"] == 0, "won_revenue"] = 0.0
    grid["opportunities_closed"] = grid["opportunities_won"] + grid["opportunities_lost"]
    grid["won_revenue_mean"] = _round2(
        grid["won_revenue"] / grid["opportunities_won_with_amount"].replace(0, np.nan)
    )
    grid["win_rate"] = grid["opportunities_won"] / grid["opportunities_closed"].replace(0, np.nan)
    return grid


def _leads(landing: Path) -> pd.DataFrame:
    """The latest version of each well-formed lead, not deleted."""
    cols = [
        "lead_id",
        "email",
        "form_id",
        "lead_source",
        "submitted_at",
        "created_at",
        "updated_at",
        "is_deleted",
    ]
    leads = _read_table(landing, "leads", cols)
    bad = leads["lead_id"].astype("string").str.strip().fillna("").eq("")
    for col in ("submitted_at", "created_at", "updated_at"):
        leads[col], malformed = _timestamp(leads[col])
        bad |= malformed
    return _latest(leads[~bad], "lead_id", "updated_at", "is_deleted")


def leads_by_source_month(leads: pd.DataFrame, months: pd.Series, seeds: Path) -> pd.DataFrame:
    """Leads created (duplicate submissions merged) per lead source (every source
    of the seed, and 'unknown') and month of the spine."""
    leads = leads.copy()
    leads["email"] = _mapped(leads["email"])
    leads["form_id"] = leads["form_id"].astype("string").str.strip().replace("", pd.NA)

    # a submission within DUPLICATE_SECONDS of the previous one of the same form by
    # the same email continues a chain; a chain is one lead (its first)
    keyed = leads[leads["email"].notna() & leads["form_id"].notna() & leads["submitted_at"].notna()]
    keyed = keyed.sort_values(["email", "form_id", "submitted_at", "lead_id"], kind="stable")
    previous = keyed.groupby(["email", "form_id"], sort=False)["submitted_at"].shift()
    gap = (keyed["submitted_at"] - previous).dt.total_seconds()
    duplicates = keyed.index[gap.le(DUPLICATE_SECONDS).to_numpy()]
    first = leads.drop(index=duplicates)

    sources = _seed(seeds, "lead_sources")[["raw_lead_source", "lead_source"]]
    first = first.assign(raw_lead_source=_mapped(first["lead_source"])).drop(columns="lead_source")
    first = first.merge(sources, on="raw_lead_source", how="left")
    first["lead_source"] = first["lead_source"].fillna("unknown")
    first["month_start_date"] = _month(first["created_at"])
    counts = first.groupby(["lead_source", "month_start_date"]).size().rename("leads_created")
    members = pd.Series(sorted({*sources["lead_source"].dropna(), "unknown"}))
    grid = _grid(months, members, "lead_source").merge(
        counts.reset_index(), on=["lead_source", "month_start_date"], how="left"
    )
    grid["leads_created"] = grid["leads_created"].fillna(0).astype("int64")
    return grid


def _cases(landing: Path) -> pd.DataFrame:
    """The latest version of each well-formed support case, not deleted."""
    cols = [
        "case_id",
        "reopened_count",
        "satisfaction_score",
        "opened_at",
        "resolved_at",
        "closed_at",
        "updated_at",
        "is_deleted",
    ]
    cases = _read_table(landing, "support_cases", cols)
    bad = cases["case_id"].astype("string").str.strip().fillna("").eq("")
    for col in ("opened_at", "resolved_at", "closed_at", "updated_at"):
        cases[col], malformed = _timestamp(cases[col])
        bad |= malformed
    for col, minimum in (("reopened_count", 0), ("satisfaction_score", 1)):
        value, malformed = _number(cases[col])
        bad |= malformed | (value < minimum).fillna(False)
    return _latest(cases[~bad], "case_id", "updated_at", "is_deleted")


def case_resolution_by_month(cases: pd.DataFrame, months: pd.Series) -> pd.DataFrame:
    """Cases resolved and their mean hours from opening to resolution, per month
    of the spine (none resolved: 0 cases, no mean)."""
    # a case closed without a resolution is closed unresolved, not resolved
    # (fct_cases, var closed_unresolved_as_resolved false)
    resolved_at = cases["resolved_at"]
    cases = cases.assign(
        final_resolved_at=resolved_at,
        seconds=(resolved_at - cases["opened_at"]).dt.total_seconds(),
    )
    cases = cases[cases["final_resolved_at"].notna()]
    cases["month_start_date"] = _month(cases["final_resolved_at"])
    cases["seconds"] = cases["seconds"].where(cases["seconds"] >= 0)
    out = cases.groupby("month_start_date").agg(
        cases_resolved=("case_id", "size"), resolution_seconds_mean=("seconds", "mean")
    )
    out["resolution_hours_mean"] = _round2(out["resolution_seconds_mean"] / 3600)
    grid = pd.DataFrame({"month_start_date": months}).merge(
        out.reset_index(), on="month_start_date", how="left"
    )
    grid["cases_resolved"] = grid["cases_resolved"].fillna(0).astype("int64")
    return grid


def month_spine(*instants: pd.Series) -> pd.Series:
    """Every month from the first to the last month of any of the instants (the
    marts' month spine, int_months, spans the events of the data the same way)."""
    found = pd.concat([s.dropna() for s in instants])
    first, last = _month(found).min(), _month(found).max()
    return pd.Series(pd.date_range(first, last, freq="MS").astype("datetime64[us]"))


def compute_kpis(landing: Path, seeds: Path) -> dict[str, pd.DataFrame]:
    """Every core KPI frame from the landed files."""
    stages = _stages(seeds)
    opps = _with_latest_closed_at(_opportunities(landing, stages), landing, stages)
    leads = _leads(landing)
    cases = _cases(landing)
    months = month_spine(
        opps["created_at"],
        opps["closed_at"],
        leads["created_at"],
        cases["opened_at"],
        cases["closed_at"],
    )
    return {
        "sales_by_rep_month": sales_by_rep_month(opps, months, seeds),
        "leads_by_source_month": leads_by_source_month(leads, months, seeds),
        "case_resolution_by_month": case_resolution_by_month(cases, months),
    }


# --------------------------------------------------------------------------- check


_CHECKS: dict[str, tuple[str, list[str], list[str]]] = {
    # frame: (mart query, keys, compared columns)
    "sales_by_rep_month": (
        "select dimension_value as owner, month_start_date, opportunities_won, opportunities_lost, opportunities_closed,"
        " won_revenue, opportunities_won_with_amount, won_revenue_mean, win_rate"
        " from sales.kpi_sales_monthly where dimension_name = 'owner'",
        ["owner", "month_start_date"],
        [
            "opportunities_won",
            "opportunities_lost",
            "opportunities_closed",
            "won_revenue",
            "won_revenue_mean",
            "win_rate",
        ],
    ),
    "leads_by_source_month": (
        "select lead_source, month_start_date, leads_created"
        " from marketing.kpi_marketing_leads_monthly",
        ["lead_source", "month_start_date"],
        ["leads_created"],
    ),
    "case_resolution_by_month": (
        "select month_start_date, cases_resolved, resolution_hours_mean"
        " from service.kpi_service_cases_monthly",
        ["month_start_date"],
        ["cases_resolved", "resolution_hours_mean"],
    ),
}


def compare_with_marts(peer_dir: Path, warehouse: Path) -> dict[str, Any]:
    """Compare each peer frame (Parquet in peer_dir, from any peer) with its mart,
    every row of the mart (every member and month of its spine): rows on each
    side, rows that match on every compared column (money to the cent, rates to
    1e-6, null only against null), and a few that differ."""
    import duckdb

    out: dict[str, Any] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for name, (query, keys, columns) in _CHECKS.items():
            path = peer_dir / f"{name}.parquet"
            if not path.is_file():
                continue
            peer = pd.read_parquet(path)
            try:
                mart = con.sql(query).df()
            except duckdb.Error as exc:
                out[name] = {"summary": f"mart not available: {str(exc).splitlines()[0]}"}
                continue
            out[name] = _compare(peer, mart, keys, [c for c in columns if c in mart.columns])
    finally:
        con.close()
    return out


def _compare(
    peer: pd.DataFrame, mart: pd.DataFrame, keys: list[str], columns: list[str]
) -> dict[str, Any]:
    for frame in (peer, mart):
        if "month_start_date" in frame:
            frame["month_start_date"] = pd.to_datetime(frame["month_start_date"]).astype(
                "datetime64[us]"
            )
    merged = peer.merge(mart, on=keys, how="outer", suffixes=("_peer", "_mart"), indicator=True)
    both = merged[merged["_merge"] == "both"]
    ok = pd.Series(True, index=both.index)
    for col in columns:
        a = pd.to_numeric(both[f"{col}_peer"], errors="coerce").astype(float)
        b = pd.to_numeric(both[f"{col}_mart"], errors="coerce").astype(float)
        tol = 1e-6 if "rate" in col else 0.011
        same = (a.isna() & b.isna()) | ((a - b).abs() <= tol)
        ok &= same.fillna(False)
    bad = both[~ok]
    only_pandas = int((merged["_merge"] == "left_only").sum())
    only_mart = int((merged["_merge"] == "right_only").sum())
    matched = int(ok.sum())
    summary = (
        f"{matched:,} of {len(merged):,} rows equal"
        + (f", {len(bad):,} differ" if len(bad) else "")
        + (f", {only_pandas:,} only in the peer" if only_pandas else "")
        + (f", {only_mart:,} only in the mart" if only_mart else "")
    )
    examples = bad.head(3).astype(str).to_dict("records")
    return {
        "rows_peer": len(peer),
        "rows_mart": len(mart),
        "rows_equal": matched,
        "rows_differ": len(bad),
        "only_peer": only_pandas,
        "only_mart": only_mart,
        "all_equal": len(bad) == 0 and only_pandas == 0 and only_mart == 0,
        "summary": summary,
        "examples": examples,
    }
