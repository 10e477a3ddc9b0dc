"""Bad lines of line-oriented files (CSV, JSON lines): one bad line is
quarantined with its line number and a short reason, the file loads its
other rows. CSV files are read with DuckDB's store_rejects (a line DuckDB
cannot parse lands in a per-file rejects table instead of failing the read),
a CSV with mixed line endings (CRLF and LF, or a lone CR) is read from a
normalised copy, and JSON lines are read line by line so an invalid line
does not fail the file.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import duckdb
import pyarrow as pa

from crm_warehouse.ingest.results import FileRejected, FileState
from crm_warehouse.settings import sql_identifier, sql_literal

#: The longest CSV line DuckDB reads (bytes); a longer line is quarantined.
MAX_LINE_BYTES = 2_000_000
#: The longest JSON line (bytes): read_json's default maximum_object_size.
MAX_JSON_LINE_BYTES = 16_777_216
#: Characters of a bad line shown in its reason (never the whole line).
EXCERPT_CHARS = 60

_TAGS = itertools.count(1)
#: Python's csv field size limit while normalising (DuckDB then quarantines long lines).
_FIELD_LIMIT = 1 << 30

_CSV_REASONS = {
    "UNQUOTED VALUE": (
        "a quoted value is not closed properly (an unterminated quote, or text after the"
        " closing quote)"
    ),
    "INVALID STATE": "the line cannot be parsed as CSV",
}


def rejects_options(tag: str, max_line: int) -> str:
    """The read_csv options that send unparseable lines to the rejects table of `tag`."""
    return (
        f"store_rejects = true, rejects_table = {sql_literal('crm_rejects_' + tag)},"
        f" rejects_scan = {sql_literal('crm_reject_scans_' + tag)}, max_line_size = {max_line}"
    )


def new_tag() -> str:
    """A tag naming the rejects tables of one file read."""
    return str(next(_TAGS))


def has_mixed_line_endings(path: Path) -> bool:
    """Whether a file mixes CRLF with LF or has a CR that does not end a CRLF
    (strict CSV parsing rejects such a file whole)."""
    crlf = cr = lf = 0
    last = b""
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            data = last + block
            crlf += data.count(b"\r\n") - (1 if last == b"\r" and block[:1] == b"\n" else 0)
            cr += block.count(b"\r")
            lf += block.count(b"\n")
            last = block[-1:]
    return cr != crlf or (crlf > 0 and lf != crlf)


def normalised_copy(path: Path, scratch: Path, delim: str) -> Path:
    """A copy of a CSV file with every line ending LF (quoted values keep their
    CR and LF), read instead of a file with mixed line endings; FileRejected
    when Python's csv module cannot read it either."""
    target = scratch / f"{new_tag()}.csv"
    # over-long values are DuckDB's to quarantine (max_line_size), line by line
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    try:
        with (
            path.open(encoding="utf-8", newline="") as src,
            target.open("w", encoding="utf-8", newline="") as dst,
        ):
            # every value quoted: a CR inside a value stays data (the loader reads "" as null)
            writer = csv.writer(dst, delimiter=delim, lineterminator="\n", quoting=csv.QUOTE_ALL)
            reader = csv.reader(src, delimiter=delim)
            for row in reader:
                writer.writerow(row)
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"the file is not UTF-8 encoded (invalid byte at byte {exc.start} of a block);"
            " re-export it as UTF-8"
        ) from exc
    except csv.Error as exc:
        raise FileRejected(
            f"the file mixes CRLF and LF line endings and cannot be read on line"
            f" {reader.line_num} ({exc}); save it with one kind of line ending"
        ) from exc
    return target


def _line_sql(path: Path, tag: str) -> str:
    """The lines of a JSON lines file: number, text and JSON type (null when invalid)."""
    lit = sql_literal(str(path))
    return (
        "select row_number() over () as __line, l as __l,"
        " case when json_valid(l) then json_type(l) end as __type"
        f" from read_csv({lit}, columns = {{'l': 'VARCHAR'}}, header = false,"
        " auto_detect = false, delim = chr(31), quote = '', escape = '', strict_mode = false,"
        f" encoding = 'utf-8', {rejects_options(tag, MAX_JSON_LINE_BYTES)})"
    )


def jsonl_source(reader: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[str], str, str]:
    """A JSON lines file's keys (in order of first appearance), the source
    reading its object lines and the query of its other non-blank lines. The
    keys of every line are read (a key first seen on the last line counts), in
    one pass that also finds the objects naming a key twice (bad lines: which
    value is meant is unclear; DuckDB would read the first)."""
    tag = new_tag()
    lines = _line_sql(path, tag)
    try:
        key_lists = reader.sql(
            f"select k, list(__line) filter (where len(k) > len(list_distinct(k)))"
            f" from (select __line, json_keys(__l) as k from ({lines}) where __type = 'OBJECT')"
            " group by k order by min(__line)"
        ).fetchall()
    finally:
        drop_rejects(reader, tag)
    names = list(dict.fromkeys(k for keys, _ in key_lists for k in keys))
    twice = sorted(line for _, dups in key_lists for line in dups or [])
    dup_sql = f"__line in ({', '.join(map(str, twice))})" if twice else "false"
    tag = new_tag()
    lines = _line_sql(path, tag)
    # every key's value at once (`json_key_args`): each line is parsed once,
    # not once per key
    paths = ", ".join(sql_literal("$." + json.dumps(n)) for n in names)
    source_sql = (
        f"(select json_extract(__l, [{paths}]) as __v from ({lines})"
        f" where __type = 'OBJECT' and not {dup_sql})"
    )
    problems_sql = (  # a line of only spaces, tabs or CR is blank, skipped like an empty one
        f"select __line, case when {dup_sql} then 'DUPLICATE KEY' else __type end, __l,"
        " coalesce(trim(__l, ' ' || chr(9) || chr(13)), '') = ''"
        f" from ({lines}) where __type is distinct from 'OBJECT' or {dup_sql}"
    )
    return names, source_sql, f"{problems_sql}\x00{tag}"


def json_key_args(i: int) -> str:
    """The arguments naming the value of key `i` (its position in the names
    jsonl_source returns) of a line of its source to DuckDB's JSON functions."""
    return f"__v[{i + 1}], '$'"


def json_text_sql(i: int) -> str:
    """The text of key `i` (see json_key_args) of a line."""
    return f"json_extract_string({json_key_args(i)})"


def _excerpt(text: str) -> str:
    shown = text[:EXCERPT_CHARS].replace("\r", "\\r").replace("\n", "\\n")
    return repr(shown + ("..." if len(text) > EXCERPT_CHARS else ""))


def _json_reason(json_type: str | None, text: str) -> str:
    if json_type == "DUPLICATE KEY":  # which value is meant is unclear: DuckDB reads the first
        keys = [k for k, _ in json.loads(text, object_pairs_hook=lambda pairs: pairs)]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        shown = ", ".join(repr(k) for k in twice)
        return f"the object names key {shown} more than once: {_excerpt(text)}"
    if json_type is not None:
        return f"the line is a JSON {json_type.lower()}, not an object: {_excerpt(text)}"
    try:
        json.loads(text)
    except ValueError as exc:
        why = getattr(exc, "msg", str(exc))
        pos = getattr(exc, "pos", None)
        at = f" at character {pos + 1}" if pos is not None else ""
        return f"the line is not valid JSON ({why}{at}): {_excerpt(text)}"
    return f"the line is not valid JSON: {_excerpt(text)}"


def _csv_reason(error_type: str, message: str, size: int | None, limit: int) -> str:
    if error_type == "LINE SIZE OVER MAXIMUM":
        return (
            f"the line is longer than the limit of {limit} bytes ({size or '?'} bytes);"
            " shorten the value or split it"
        )
    if error_type in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        return f"the line has the wrong number of values ({message[:120]})"
    return _CSV_REASONS.get(error_type, f"the line cannot be read ({message[:120]})")


def forget_problems(reader: duckdb.DuckDBPyConnection, problems: str | None) -> None:
    """Drop the rejects tables of a file (`problems` as for line_problems)
    that another read of it filled again (they append, scan after scan)."""
    if problems is not None:
        drop_rejects(reader, problems.rsplit("\x00", 1)[-1].removeprefix("csv:"))


def drop_rejects(reader: duckdb.DuckDBPyConnection, tag: str) -> None:
    for name in ("crm_rejects_", "crm_reject_scans_"):
        reader.execute(f"drop table if exists temp.main.{sql_identifier(name + tag)}")


def _record_lines(path: Path, records: set[int]) -> dict[int, tuple[int, int, bool]]:
    """{record: (its first line, its last line, whether a quote it opens is
    never closed)} of a CSV file, records numbered as DuckDB does (the header
    one, a blank line one, a quoted value over several lines one). A record
    ends at the end of a line with an even number of quotes since its start
    (DuckDB's byte positions of a rejected record are not reliable: for an
    unterminated quote they point into the line before)."""
    out: dict[int, tuple[int, int, bool]] = {}
    last_wanted = max(records, default=0)
    record = line = first = quotes = 0
    with path.open("rb") as fh:
        for raw_line in fh:
            line += 1
            if quotes == 0:
                record, first = record + 1, line
            quotes = (quotes + raw_line.count(b'"')) % 2
            if quotes == 0:
                if record in records:
                    out[record] = (first, line, False)
                if record >= last_wanted:
                    return out
    if quotes and record in records:  # the file ended inside a quoted value
        out[record] = (first, line, True)
    return out


def _rejects(
    reader: duckdb.DuckDBPyConnection, tag: str, limit: int, header: int
) -> dict[int, tuple[int, str]]:
    """{row: (line, reason)} of the records a read left out: DuckDB numbers
    records (the header one of them), an editor lines. `header` 0: a JSON
    lines file (read without quotes)."""
    table = f"temp.main.{sql_identifier('crm_rejects_' + tag)}"
    scans = f"temp.main.{sql_identifier('crm_reject_scans_' + tag)}"
    try:
        rows = reader.execute(
            "select r.line, min(r.error_type), min(r.error_message),"
            f" min(s.file_path) from {table} r"
            f" join {scans} s using (scan_id, file_id) group by r.line"
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    if header:  # DuckDB's record numbers to the lines of the file read (a copy too)
        spans = _record_lines(Path(rows[0][3]), {int(r[0]) for r in rows}) if rows else {}
        rows = [
            (int(r[0]) - header, *spans.get(int(r[0]), (int(r[0]), int(r[0]), False)), *r[1:3])
            for r in rows
        ]
    else:  # JSON lines: a record is a line
        rows = [(int(r[0]), int(r[0]), int(r[0]), False, *r[1:3]) for r in rows]
    bad_encoding = sorted(int(r[1]) for r in rows if r[4] == "INVALID ENCODING")
    if bad_encoding:
        # a file in another encoding: every non-ASCII line is bad, so the file is
        raise FileRejected(
            f"the file is not UTF-8 encoded (invalid bytes on line {bad_encoding[0]});"
            " re-export it as UTF-8"
        )
    out = {}
    for row, line, last, unclosed, error_type, message in rows:
        size = None
        if error_type == "LINE SIZE OVER MAXIMUM":
            size = int(message.rsplit(":", 1)[-1].split()[0]) if ":" in message else None
        reason = _csv_reason(error_type, str(message or ""), size, limit)
        if unclosed and size is None:
            upto = f": the values up to line {last} were read as one" if last > line else ""
            reason = (
                "a quoted value is not closed properly (an opening quote on line"
                f" {line} is never closed{upto})"
            )
        out[row] = (line, reason)
    return out


def line_problems(
    reader: duckdb.DuckDBPyConnection, problems: str | None
) -> tuple[dict[int, tuple[int, str]], list[int]]:
    """The records a file read left out: {row: (line, reason)} of its bad
    lines and the sorted row numbers of every record left out (blank lines of
    JSON lines too: a JSON lines file's rows are its lines). A CSV row is its
    data record (a quoted value over two lines is one row), so its number and
    its line differ. `problems` is the Layout's: 'csv:<tag>', '<JSON problems
    query>\\0<tag>' or None (a Parquet file). Call it once the file's read has
    ended (its rejects are complete) and before `reader` starts another read."""
    if problems is None:
        return {}, []
    if problems.startswith("csv:"):
        tag = problems.removeprefix("csv:")
        try:
            out = _rejects(reader, tag, MAX_LINE_BYTES, header=1)
            return out, sorted(out)
        finally:
            drop_rejects(reader, tag)
    sql, tag = problems.split("\x00")
    try:
        out = _rejects(reader, tag, MAX_JSON_LINE_BYTES, header=0)
        drop_rejects(reader, tag)
        skipped = set(out)
        for line, json_type, text, blank in reader.execute(sql).fetchall():
            skipped.add(int(line))
            if not blank:
                out.setdefault(int(line), (int(line), _json_reason(json_type, text)))
        return out, sorted(skipped)
    finally:
        drop_rejects(reader, tag)


def renumber_rows(con: duckdb.DuckDBPyConnection, state: FileState, skipped: list[int]) -> None:
    """Number the file's loaded and quarantined rows as in the file: the
    rows read were numbered 1, 2, ... without the `skipped` records (bad and
    blank lines); each gets the count of skipped records before it added."""
    state.skipped_rows = sorted(skipped)
    gaps = [r - k for k, r in enumerate(state.skipped_rows)]
    if not gaps:
        return
    params = {"gaps": gaps, "at": state.started_at, "first": gaps[0]}
    shift = "(select count(*) from (select unnest($gaps) as g) where g <= {0})"
    table = f"raw.{sql_identifier(state.table.name)}"
    con.execute(  # the rows loaded, then the values quarantined (bad lines come after)
        f"update {table} set _source_row = _source_row + {shift.format('_source_row')}"
        " where _source_file = $file and _loaded_at = $at and _source_row >= $first",
        params | {"file": state.rel},
    )
    con.execute(
        f"update raw._quarantine set source_row = source_row + {shift.format('source_row')}"
        " where file_hash = $hash and quarantined_at = $at and source_row >= $first",
        params | {"hash": state.file_hash},
    )


def quarantine_lines(
    con: duckdb.DuckDBPyConnection, state: FileState, problems: dict[int, tuple[int, str]]
) -> None:
    """One raw._quarantine row (rule 'line', no column) per bad line, its
    source_row the row number the line would have had (as every other
    source_row) and its line in raw_record; it counts as landed and
    quarantined."""
    if not problems:
        return
    rows = sorted(problems)
    for row in rows:
        state.add_line_message(*problems[row])
    state.rule_counts[("line", "")] += len(rows)
    issue_rows = pa.table(  # read by DuckDB's replacement scan below
        {
            "source_row": pa.array(rows, pa.int64()),
            "reason": [problems[row][1] for row in rows],
            "raw_record": [json.dumps({"_line": problems[row][0]}) for row in rows],
        }
    )
    con.execute(
        "insert into raw._quarantine select $batch_id, $file_hash, $source_file, $table_name,"
        " source_row, null, 'line', reason, null, raw_record, $at from issue_rows",
        {
            "batch_id": state.batch_id,
            "file_hash": state.file_hash,
            "source_file": state.rel,
            "table_name": state.table.name,
            "at": state.started_at,
        },
    )
    del issue_rows
    state.rows_landed += len(rows)
    state.rows_quarantined += len(rows)
