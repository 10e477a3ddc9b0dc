"""Writing the export files, across shards: the first write of a file creates
it, later writes (the shards after the first, crm_warehouse.demo.shard) append
their rows to it. Parquet files stay open until `close`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

#: Rows per Parquet row group.
ROW_GROUP_SIZE = 256 * 1024


class Sink:
    """Writes rows into export files (CSV, JSON lines or Parquet), appending to a
    file already written by this sink."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._parquet: dict[Path, pq.ParquetWriter] = {}
        self._written: set[Path] = set()

    def write(self, data: pa.Table, path: Path, fmt: str) -> None:
        """Write (or append) `data` to `path` in format `fmt`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            writer = self._parquet.get(path)
            if writer is None:
                writer = pq.ParquetWriter(path, data.schema, compression="zstd")
                self._parquet[path] = writer
            writer.write_table(data, row_group_size=ROW_GROUP_SIZE)
            return
        if path not in self._written:
            self._copy(data, path, fmt, header=True)
            self._written.add(path)
            return
        part = path.with_name(f".{path.name}.part")
        try:
            self._copy(data, part, fmt, header=False)
            with path.open("ab") as out, part.open("rb") as src:
                while chunk := src.read(1 << 22):
                    out.write(chunk)
        finally:
            part.unlink(missing_ok=True)

    def close(self) -> None:
        """Finish every Parquet file."""
        for writer in self._parquet.values():
            writer.close()
        self._parquet.clear()

    def _copy(self, data: pa.Table, path: Path, fmt: str, header: bool) -> None:
        self.con.register("_out", data)
        try:
            target = str(path).replace("'", "''")
            if fmt == "csv":
                self.con.execute(
                    f"copy _out to '{target}' (format csv, header {str(header).lower()}, "
                    "delimiter ',', quote '\"')"
                ).fetchall()
            else:
                self.con.execute(f"copy _out to '{target}' (format json)").fetchall()
        finally:
            self.con.unregister("_out")
