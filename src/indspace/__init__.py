"""indspace — 产业空间治理平台, an open platform for a city's industrial-space governance."""

__version__ = "0.1.0"
