"""HTTP adapter: FastAPI app that translates requests into service calls."""
