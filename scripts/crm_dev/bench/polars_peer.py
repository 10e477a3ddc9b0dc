"""The benchmark's polars peer: the same KPI frames as the pandas peer
(crm_dev.bench.pandas_peer: same cleaning rules, same rows, same nulls),
written with polars' lazy API as a user reaching for the fastest dataframe
library would write them. `python -m crm_dev.bench` times it and checks its
frames against the marts exactly as it checks the pandas peer's.

polars is optional: without it the benchmark says the peer was not run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crm_dev.bench.pandas_peer import DUPLICATE_SECONDS

#: Text the loader reads as true in a soft-delete column.
TRUE_TEXT = ("true", "t", "1", "yes")


def _pl() -> Any:
    import polars

    return polars


def _read_table(landing: Path, table: str, columns: list[str]) -> Any:
    """Every file of a table in load order (file, then row), the text columns as
    text, with `_file` and `_row` positions; a lazy frame."""
    pl = _pl()
    frames = []
    for i, path in enumerate(sorted((landing / table).iterdir())):
        if path.suffix == ".csv":
            frame = pl.scan_csv(path, infer_schema=False)
        elif path.suffix == ".jsonl":
            frame = pl.scan_ndjson(path, infer_schema_length=None)
        elif path.suffix == ".parquet":
            frame = pl.scan_parquet(path)
        else:
            continue
        names = frame.collect_schema().names()
        frame = frame.rename({n: n.strip().lower() for n in names})
        present = [c for c in columns if c in {n.strip().lower() for n in names}]
        frame = frame.select(present).with_columns(
            pl.lit(i, pl.Int64).alias("_file"), pl.int_range(pl.len(), dtype=pl.Int64).alias("_row")
        )
        frames.append(frame)
    return pl.concat(frames, how="diagonal_relaxed")


def _text(col: str) -> Any:
    pl = _pl()
    return pl.col(col).cast(pl.Utf8).str.strip_chars()


def _timestamp(frame: Any, col: str) -> tuple[Any, Any]:
    """(UTC timestamp without zone, offsets honoured; text present but not a
    timestamp) as expressions over `frame`'s column."""
    pl = _pl()
    dtype = frame.collect_schema()[col]
    if isinstance(dtype, pl.Datetime):
        value = pl.col(col)
        if dtype.time_zone is not None:
            value = value.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return value.dt.cast_time_unit("us"), pl.lit(False)
    text = _text(col)
    with_offset = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", strict=False, time_unit="us")
    plain = text.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us")
    parsed = pl.coalesce(with_offset.dt.convert_time_zone("UTC").dt.replace_time_zone(None), plain)
    bad = text.is_not_null() & (text != "") & parsed.is_null()
    return parsed, bad


def _number(col: str) -> tuple[Any, Any]:
    pl = _pl()
    text = _text(col)
    parsed = text.cast(pl.Float64, strict=False)
    return parsed, text.is_not_null() & (text != "") & parsed.is_null()


def _clean(frame: Any, key: str, stamps: tuple[str, ...], numbers: dict[str, float]) -> Any:
    """Rows with a key and well-formed timestamps and numbers (not below their
    minimum); timestamps parsed, numbers as floats."""
    pl = _pl()
    bad = _text(key).fill_null("").eq("")
    parsed = []
    for col in stamps:
        value, malformed = _timestamp(frame, col)
        bad = bad | malformed
        parsed.append(value.alias(col))
    for col, minimum in numbers.items():
        value, malformed = _number(col)
        bad = bad | malformed | (value < minimum).fill_null(False)
        parsed.append(value.alias(col))
    return frame.with_columns(bad.alias("_bad")).with_columns(parsed).filter(~pl.col("_bad"))


def _latest(frame: Any, key: str, version: str | None, deleted: str | None) -> Any:
    """The latest version of each key (ties: later file, later row); keys whose
    latest version is soft-deleted dropped."""
    pl = _pl()
    order = [key, version, "_file", "_row"] if version else [key, "_file", "_row"]
    frame = frame.sort(order, nulls_last=False).unique(subset=key, keep="last")
    if deleted:
        flag = pl.col(deleted).cast(pl.Utf8).str.strip_chars().str.to_lowercase()
        frame = frame.filter(~flag.is_in(TRUE_TEXT).fill_null(False))
    return frame


def _mapped(col: str) -> Any:
    pl = _pl()
    value = _text(col).str.to_lowercase()
    return pl.when(value == "").then(None).otherwise(value)


def _round2(expr: Any) -> Any:
    """Round half away from zero to cents, like a DuckDB decimal cast."""
    return expr.sign() * (expr.abs() * 100 + 0.5 + 1e-9).floor() / 100


def _month(expr: Any) -> Any:
    return expr.dt.truncate("1mo")


def _seed(seeds: Path, name: str) -> Any:
    return _pl().read_csv(seeds / f"{name}.csv", infer_schema=False).lazy()


def _stages(seeds: Path) -> Any:
    pl = _pl()
    return _seed(seeds, "stages").select(
        "raw_stage_name",
        (pl.col("is_closed") == "true").alias("is_closed"),
        (pl.col("is_won") == "true").alias("is_won"),
    )


# --------------------------------------------------------------------------- frames


def _opportunities(landing: Path, stages: Any) -> Any:
    """The latest version of each well-formed deal, its stage's flags and
    `latest_closed_at` (closed_at, else its latest entry into a closed stage)."""
    pl = _pl()
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
    opps = _clean(opps, "opportunity_id", ("created_at", "closed_at", "updated_at"), {"amount": 0})
    opps = _latest(opps, "opportunity_id", "updated_at", "is_deleted")
    opps = (
        opps.with_columns(_mapped("stage_name").alias("raw_stage_name"))
        .join(stages, on="raw_stage_name", how="left")
        .with_columns(pl.col("is_closed").fill_null(False), pl.col("is_won").fill_null(False))
    )
    history = _read_table(
        landing,
        "opportunity_stage_history",
        ["stage_history_id", "opportunity_id", "stage_name", "entered_at"],
    ).filter(pl.col("stage_history_id").is_not_null())
    entered, _ = _timestamp(history, "entered_at")
    history = _latest(
        history.with_columns(entered.alias("entered_at")), "stage_history_id", None, None
    )
    last_closed = (
        history.with_columns(_mapped("stage_name").alias("raw_stage_name"))
        .join(stages.select("raw_stage_name", "is_closed"), on="raw_stage_name", how="left")
        .filter(pl.col("is_closed").fill_null(False))
        .group_by("opportunity_id")
        .agg(pl.col("entered_at").max().alias("last_closed_entered_at"))
    )
    return opps.join(last_closed, on="opportunity_id", how="left").with_columns(
        pl.when(pl.col("is_closed"))
        .then(pl.coalesce("closed_at", "last_closed_entered_at"))
        .otherwise(None)
        .alias("latest_closed_at")
    )


def _in_reporting_currency(opps: Any, seeds: Path) -> Any:
    """The deals with a conversion date, `amount_usd` at the rate of the close
    (open: creation) date."""
    pl = _pl()
    rates = _seed(seeds, "exchange_rates").select(
        pl.col("currency_code").str.strip_chars().str.to_uppercase(),
        pl.col("rate_date").str.to_datetime("%Y-%m-%d", time_unit="us"),
        pl.col("usd_per_unit").cast(pl.Float64),
    )
    usd = rates.filter(pl.col("currency_code") == "USD").select(
        "rate_date", pl.col("usd_per_unit").alias("usd_per_unit_reporting")
    )
    rates = (
        rates.join(usd, on="rate_date", how="inner")
        .select(
            "rate_date",
            "currency_code",
            (pl.col("usd_per_unit") / pl.col("usd_per_unit_reporting")).alias("rate"),
        )
        .sort("rate_date")
    )
    opps = (
        opps.with_columns(
            pl.col("currency_code").cast(pl.Utf8).str.strip_chars().str.to_uppercase(),
            pl.coalesce("closed_at", "created_at").dt.truncate("1d").alias("conversion_date"),
        )
        .filter(pl.col("conversion_date").is_not_null())
        .sort("conversion_date")
    )
    converted = opps.join_asof(
        rates,
        left_on="conversion_date",
        right_on="rate_date",
        by="currency_code",
        strategy="backward",
        check_sortedness=False,  # sorted above, by conversion date over all currencies
    )
    return converted.with_columns(_round2(pl.col("amount") * pl.col("rate")).alias("amount_usd"))


def _grid(months: Any, members: Any, member: str) -> Any:
    pl = _pl()
    return pl.LazyFrame({"month_start_date": months}).join(
        members.select(pl.col(member)).unique(), how="cross"
    )


def sales_by_rep_month(opps: Any, months: Any, seeds: Path) -> Any:
    pl = _pl()
    closed = (
        _in_reporting_currency(opps, seeds)
        .filter(pl.col("is_closed") & pl.col("latest_closed_at").is_not_null())
        .with_columns(
            _month(pl.col("latest_closed_at")).alias("month_start_date"),
            pl.col("owner_rep_id").fill_null("unknown").alias("owner"),
        )
    )
    grouped = closed.group_by("owner", "month_start_date").agg(
        pl.col("is_won").sum().alias("opportunities_won"),
        (~pl.col("is_won")).sum().alias("opportunities_lost"),
        pl.col("amount_usd").filter(pl.col("is_won")).sum().alias("_won_sum"),
        (pl.col("is_won") & pl.col("amount_usd").is_not_null())
        .sum()
        .alias("opportunities_won_with_amount"),
    )
    owners = opps.select(pl.col("owner_rep_id").fill_null("unknown").alias("owner"))
    counts = ("opportunities_won", "opportunities_lost", "opportunities_won_with_amount")
    grid = (
        _grid(months, owners, "owner")
        .join(grouped, on=["owner", "month_start_date"], how="left")
        .with_columns([pl.col(c).fill_null(0).cast(pl.Int64) for c in counts])
    )
    # unknown is not zero: null when won deals have no known amount, 0 without won deals
    won_revenue = (
        pl.when(pl.col("opportunities_won") == 0)
        .then(0.0)
        .when(pl.col("opportunities_won_with_amount") == 0)
        .then(None)
        .otherwise(pl.col("_won_sum"))
    )
    closed_n = pl.col("opportunities_won") + pl.col("opportunities_lost")
    return (
        grid.with_columns(won_revenue.alias("won_revenue"), closed_n.alias("opportunities_closed"))
        .with_columns(
            _round2(
                pl.col("won_revenue")
                / pl.when(pl.col("opportunities_won_with_amount") > 0).then(
                    pl.col("opportunities_won_with_amount")
                )
            ).alias("won_revenue_mean"),
            (
                pl.col("opportunities_won")
                / pl.when(pl.col("opportunities_closed") > 0).then(pl.col("opportunities_closed"))
            ).alias("win_rate"),
        )
        .drop("_won_sum")
    )


def _leads(landing: Path) -> Any:
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
    leads = _clean(leads, "lead_id", ("submitted_at", "created_at", "updated_at"), {})
    return _latest(leads, "lead_id", "updated_at", "is_deleted")


def leads_by_source_month(leads: Any, months: Any, seeds: Path) -> Any:
    pl = _pl()
    form = _text("form_id")
    leads = leads.with_columns(
        _mapped("email").alias("email"),
        pl.when(form == "").then(None).otherwise(form).alias("form_id"),
    )
    # a submission within DUPLICATE_SECONDS of the previous one of the same form by
    # the same email continues a chain; a chain is one lead (its first)
    keyed = pl.col("email").is_not_null() & pl.col("form_id").is_not_null()
    keyed = keyed & pl.col("submitted_at").is_not_null()
    duplicates = (
        leads.filter(keyed)
        .sort("email", "form_id", "submitted_at", "lead_id")
        .with_columns(
            (
                pl.col("submitted_at") - pl.col("submitted_at").shift().over("email", "form_id")
            ).alias("_gap")
        )
        .filter(pl.col("_gap").dt.total_seconds() <= DUPLICATE_SECONDS)
        .select("lead_id")
    )
    sources = _seed(seeds, "lead_sources").select("raw_lead_source", "lead_source")
    counts = (
        leads.join(duplicates, on="lead_id", how="anti")
        .with_columns(_mapped("lead_source").alias("raw_lead_source"))
        .drop("lead_source")
        .join(sources, on="raw_lead_source", how="left")
        .with_columns(
            pl.col("lead_source").fill_null("unknown"),
            _month(pl.col("created_at")).alias("month_start_date"),
        )
        .group_by("lead_source", "month_start_date")
        .agg(pl.len().cast(pl.Int64).alias("leads_created"))
    )
    members = pl.concat(
        [sources.select("lead_source").drop_nulls(), pl.LazyFrame({"lead_source": ["unknown"]})]
    )
    return (
        _grid(months, members, "lead_source")
        .join(counts, on=["lead_source", "month_start_date"], how="left")
        .with_columns(pl.col("leads_created").fill_null(0))
    )


def _cases(landing: Path) -> Any:
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
    stamps = ("opened_at", "resolved_at", "closed_at", "updated_at")
    cases = _clean(cases, "case_id", stamps, {"reopened_count": 0, "satisfaction_score": 1})
    return _latest(cases, "case_id", "updated_at", "is_deleted")


def case_resolution_by_month(cases: Any, months: Any) -> Any:
    pl = _pl()
    # a case closed without a resolution is closed unresolved, not resolved
    seconds = (pl.col("resolved_at") - pl.col("opened_at")).dt.total_seconds()
    out = (
        cases.filter(pl.col("resolved_at").is_not_null())
        .with_columns(
            _month(pl.col("resolved_at")).alias("month_start_date"),
            pl.when(seconds >= 0).then(seconds).alias("_seconds"),
        )
        .group_by("month_start_date")
        .agg(
            pl.len().cast(pl.Int64).alias("cases_resolved"),
            _round2(pl.col("_seconds").mean() / 3600).alias("resolution_hours_mean"),
        )
    )
    return (
        pl.LazyFrame({"month_start_date": months})
        .join(out, on="month_start_date", how="left")
        .with_columns(pl.col("cases_resolved").fill_null(0))
    )


def month_spine(frames: list[tuple[Any, tuple[str, ...]]]) -> Any:
    """Every month from the first to the last month of any of the instants."""
    pl = _pl()
    found = pl.concat(
        [frame.select(pl.col(c).alias("t")) for frame, cols in frames for c in cols]
    ).select(_month(pl.col("t").min()).alias("lo"), _month(pl.col("t").max()).alias("hi"))
    lo, hi = found.collect().row(0)
    return pl.datetime_range(lo, hi, interval="1mo", time_unit="us", eager=True)


def compute_kpis(landing: Path, seeds: Path) -> dict[str, Any]:
    """Every core KPI frame (polars DataFrames) from the landed files."""
    stages = _stages(seeds)
    opps, leads, cases = pl_collect_all(
        [_opportunities(landing, stages), _leads(landing), _cases(landing)]
    )
    months = month_spine(
        [
            (opps.lazy(), ("created_at", "closed_at")),
            (leads.lazy(), ("created_at",)),
            (cases.lazy(), ("opened_at", "closed_at")),
        ]
    )
    frames = pl_collect_all(
        [
            sales_by_rep_month(opps.lazy(), months, seeds),
            leads_by_source_month(leads.lazy(), months, seeds),
            case_resolution_by_month(cases.lazy(), months),
        ]
    )
    names = ("sales_by_rep_month", "leads_by_source_month", "case_resolution_by_month")
    return dict(zip(names, frames, strict=True))


def pl_collect_all(frames: list[Any]) -> list[Any]:
    """Collect lazy frames together (shared scans run once)."""
    return _pl().collect_all(frames)
