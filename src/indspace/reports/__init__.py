"""Reports for staff: files written from engine results (outside ``indspace.core``: file I/O)."""
