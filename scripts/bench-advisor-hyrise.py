#!/usr/bin/env python3
"""Run the index selection algorithms of a local checkout of hyrise/index_selection_evaluation (given by
path, never copied here) on the TPC-H database `scripts/bench-advisor --db` loaded, for its harness to score.

    scripts/bench-advisor-hyrise.py CHECKOUT < {"queries": [...], "budgets_mb": [...], "max_indexes": [...]}

The database comes from the PG* environment variables (database `tpch`). The checkout's own connector, cost
evaluation (HypoPG) and algorithms are used unchanged; only the workload is built here, from the queries
given, with each query's indexable columns found as the checkout's query generator finds them (a column
whose name appears in the text). Prints one JSON object per run: algorithm, parameter, the indexes as
CREATE INDEX statements, and the runtime. Needs psycopg2 (`pip install psycopg2-binary`).
"""
import json
import logging
import sys
import time


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.path.insert(0, sys.argv[1])
    logging.disable(logging.CRITICAL)
    try:
        from selection.algorithms.auto_admin_algorithm import AutoAdminAlgorithm
        from selection.algorithms.db2advis_algorithm import DB2AdvisAlgorithm
        from selection.algorithms.extend_algorithm import ExtendAlgorithm
        from selection.algorithms.relaxation_algorithm import RelaxationAlgorithm
        from selection.dbms.postgres_dbms import PostgresDatabaseConnector
        from selection.workload import Column, Query, Table, Workload
    except ImportError as e:
        sys.exit(f"{sys.argv[1]}: not a checkout of hyrise/index_selection_evaluation, or a module is missing ({e}); "
                 "psycopg2 comes from `pip install psycopg2-binary`")
    spec = json.load(sys.stdin)
    connector = PostgresDatabaseConnector("tpch", autocommit=True)

    # Tables and columns as the checkout models them.
    rows = connector.exec_fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name IN "
        "(SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE') "
        "ORDER BY table_name, ordinal_position",
        one=False,
    )
    tables = {}
    columns = []
    for table_name, column_name in rows:
        table = tables.setdefault(table_name, Table(table_name))
        column = Column(column_name)
        table.add_column(column)
        columns.append(column)

    queries = []
    for number, text in enumerate(spec["queries"], start=1):
        query = Query(number, text.strip().rstrip(";"))
        lowered = query.text.lower()
        query.columns = [c for c in columns if c.name in lowered]
        queries.append(query)
    workload = Workload(queries)

    runs = []
    for mb in spec["budgets_mb"]:
        runs.append(("extend", ExtendAlgorithm, {"budget_MB": mb, "max_index_width": 2}, mb))
        runs.append(("relaxation", RelaxationAlgorithm, {"budget_MB": mb, "max_index_width": 2}, mb))
        runs.append(("db2advis", DB2AdvisAlgorithm, {"budget_MB": mb, "max_index_width": 2, "try_variations_seconds": 0}, mb))
    for n in spec.get("max_indexes", []):
        runs.append(("auto_admin", AutoAdminAlgorithm, {"max_indexes": n, "max_indexes_naive": 1, "max_index_width": 2}, n))

    for name, algorithm_class, parameters, shown in runs:
        start = time.perf_counter()
        algorithm = algorithm_class(connector, dict(parameters))
        indexes = algorithm.calculate_best_indexes(workload)
        seconds = time.perf_counter() - start
        statements = [
            f"CREATE INDEX ON {index.table()} ({', '.join(c.name for c in index.columns)})" for index in indexes
        ]
        print(json.dumps({"algorithm": name, "parameter": shown, "indexes": statements, "runtime_s": seconds}), flush=True)


if __name__ == "__main__":
    main()
