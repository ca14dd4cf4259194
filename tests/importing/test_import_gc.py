"""An import pauses CPython's cyclic garbage collector and always gives it back as it was."""

from __future__ import annotations

import gc
import threading

import pytest

from indspace.services.importing import _collector_paused


def test_the_collector_is_paused_during_an_import_and_restored_after() -> None:
    assert gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
        with _collector_paused():           # nested (import-bundle) or concurrent imports
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_failing_import_restores_the_collector() -> None:
    with pytest.raises(RuntimeError), _collector_paused():
        raise RuntimeError("the import failed")
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        with _collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_imports_in_threads_restore_the_collector_once_all_ended() -> None:
    inside, release = threading.Barrier(3), threading.Event()

    def one_import() -> None:
        with _collector_paused():
            inside.wait()
            release.wait()

    threads = [threading.Thread(target=one_import) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert not gc.isenabled()
    release.set()
    for t in threads:
        t.join()
    assert gc.isenabled()
