"""Spark for the portability check: a local session (pyspark, Java 17,
installed when missing as root) with the profile's settings and its warehouse
under the work folder, the raw tables copied in, dbt built in this process,
and a mart read back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from crm_dev.portability.compare import Mart, Table, canonical
from crm_dev.portability.dbt_runs import (
    EngineRun,
    build_in_process,
    merge_runs,
    sample_data_tests,
)
from crm_dev.portability.engines.apt import apt_install
from crm_dev.portability.engines.reference import raw_tables
from crm_warehouse.settings import Settings, project_root, sql_identifier


def ensure_java() -> None:
    """pyspark needs a Java runtime (17+); install Debian's when missing (root)."""
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    apt_install("openjdk-17-jre-headless")


def spark_env(spark_dir: Path) -> dict[str, str]:
    """The environment the profile's `spark` target reads."""
    return {"CRM_SPARK_DIR": str(spark_dir)}


def spark_profile_conf(profiles_dir: Path | None = None) -> dict[str, str]:
    """The `server_side_parameters` of the profile's `spark` target, rendered
    with the current environment: the one place the local session is tuned."""
    import jinja2
    import yaml

    path = (profiles_dir or project_root() / "profiles") / "profiles.yml"
    outputs = yaml.safe_load(path.read_text())["crm_warehouse"]["outputs"]
    params = outputs["spark"].get("server_side_parameters") or {}

    def env_var(name: str, default: str | None = None) -> str:
        value = os.environ.get(name, default)
        if value is None:
            raise KeyError(f"environment variable {name} is not set")
        return value

    env = jinja2.Environment()
    return {
        str(key): env.from_string(str(value)).render(env_var=env_var)
        for key, value in params.items()
    }


def start_spark(spark_dir: Path) -> Any:
    """The SparkSession dbt's `session` method then reuses (getOrCreate), with
    the profile's settings, so that dbt, the raw copy and the comparison share
    one JVM and one metastore."""
    ensure_java()
    import logging

    from pyspark.sql import SparkSession

    os.environ.update(spark_env(spark_dir))
    spark_dir.mkdir(parents=True, exist_ok=True)
    conf = spark_profile_conf()
    builder = SparkSession.builder.appName("crm-portability")
    if conf.get("spark.sql.catalogImplementation", "hive") == "hive":
        builder = builder.enableHiveSupport()
    for key, value in conf.items():
        builder = builder.config(key, value)
    builder = builder.config("spark.sql.execution.arrow.pyspark.enabled", "true")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    # pyspark logs every failed statement as a JSON stack trace; dbt's own
    # "does this relation exist" probes fail on purpose.
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    logging.getLogger("py4j").setLevel(logging.ERROR)
    return session


def copy_raw_to_spark(duck: Any, spark: Any) -> int:
    """Create database raw in Spark with every DuckDB raw table (Arrow ->
    DataFrame -> parquet table). Returns rows copied."""
    spark.sql("create database if not exists raw")
    total = 0
    for table in raw_tables(duck):
        arrow = duck.sql(f"select * from raw.{sql_identifier(table)}").to_arrow_table()
        frame = spark.createDataFrame(arrow)
        frame.write.mode("overwrite").format("parquet").saveAsTable(f"raw.`{table}`")
        total += arrow.num_rows
    return total


def read_spark(spark: Any, mart: Mart) -> Table:
    frame = spark.table(f"`{mart.schema}`.`{mart.name}`")
    arrow = frame.toArrow()
    columns = list(arrow.column_names)
    data = [arrow.column(i).to_pylist() for i in range(arrow.num_columns)]
    rows = [tuple(canonical(col[r]) for col in data) for r in range(arrow.num_rows)]
    return Table(columns, rows)


def build_spark(settings: Settings, target_path: Path, threads: int, data_tests: str) -> EngineRun:
    """Spark's build: seeds, models and unit tests, and data tests as chosen
    (`all`, `sample`: one per generic test, or `none`, for a quicker run: a
    data test costs a few tenths of a second on a local Spark, against
    milliseconds on DuckDB)."""
    if data_tests == "all":
        return build_in_process("spark", settings, target_path, threads)
    run = build_in_process(
        "spark", settings, target_path, threads, extra=["--exclude", "test_type:data"]
    )
    if data_tests == "none" or not (target_path / "manifest.json").is_file():
        return run
    sample = sample_data_tests(target_path / "manifest.json")
    if not sample:
        return run
    tests = build_in_process(
        "spark", settings, target_path, threads, command="test", extra=["--select", *sample]
    )
    return merge_runs(run, tests)
