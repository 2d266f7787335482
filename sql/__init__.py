"""DuckDB view definitions, one file per view, shipped inside the wheel as `etl.sql`."""
