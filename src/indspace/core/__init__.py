"""Pure domain core of indspace: entities, units, policy profiles and engines.

Nothing in ``indspace.core`` imports SQLAlchemy, FastAPI, Dask or a database driver, and
nothing here opens a file path chosen at run time (bundled package data excepted). Adapters
(store, ingest, api, cli) translate to and from these types.
"""
