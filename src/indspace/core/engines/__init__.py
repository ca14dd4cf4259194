"""Pure, vectorised domain engines (no I/O, no clock): pandas/GeoPandas frames in, frames out."""
