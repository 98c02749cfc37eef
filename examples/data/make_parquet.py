"""Writes deals.parquet from deals.csv with native Parquet types (timestamps with a zone, booleans).

Run from anywhere: ``python examples/data/make_parquet.py``. The reader must load both files into
the same rows (the tests compare their row hashes).
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).parent
TYPES = {
    "amount": pa.float64(),
    "created_at": pa.timestamp("us", tz="UTC"),
    "closed_at": pa.timestamp("us", tz="UTC"),
    "won": pa.bool_(),
}

table = pacsv.read_csv(
    HERE / "deals.csv",
    convert_options=pacsv.ConvertOptions(column_types=TYPES, strings_can_be_null=True),
)
pq.write_table(table, HERE / "deals.parquet")
print(f"wrote {table.num_rows} deals to {HERE / 'deals.parquet'}")
