"""The cyclic garbage collector is held off for the whole of writing forms and of a consolidate
(edge.memory): from the scheme read to the last workbook written, a county holds millions of objects that every full
collection would walk again; it runs again afterwards, whether the run finished or stopped."""
from __future__ import annotations

import gc

import pytest
import returns_kit as kit

from xlflag import api


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    return kit.new_forms(tmp_path_factory.mktemp("memory"))


def _returns(forms, root, count):
    returns = root / "returns"
    returns.mkdir()
    for n, (_, form) in enumerate(forms.written[:count]):
        kit.fill(forms, form, returns / f"{n:03d}.xlsx")
    return returns


def test_no_full_collection_while_returns_are_read_and_results_written(forms, tmp_path):
    scheme = kit.scheme_copy(forms, tmp_path / "scheme")
    returns = _returns(forms, tmp_path, 4)
    seen = []
    assert gc.isenabled()
    api.consolidate(scheme, returns, tmp_path / "结果.xlsx", progress=lambda *call: seen.append(gc.isenabled()))
    assert len(seen) > 4 and not any(seen)  # reading (one call a file) and writing: paused throughout
    assert gc.isenabled()


def test_no_full_collection_while_forms_are_written(forms, tmp_path):
    scheme = kit.scheme_copy(forms, tmp_path / "scheme")
    seen = []
    api.make_forms(scheme, tmp_path / "测评表", progress=lambda *call: seen.append(gc.isenabled()))
    assert seen and not any(seen)
    assert gc.isenabled()


def test_the_collector_runs_again_after_a_run_that_stopped(forms, tmp_path):
    scheme = kit.scheme_copy(forms, tmp_path / "scheme")
    returns = _returns(forms, tmp_path, 2)
    with pytest.raises(api.NotFinal):  # most forms outstanding: a final run refuses, nothing written
        api.consolidate(scheme, returns, tmp_path / "结果.xlsx", final=True)
    assert gc.isenabled() and not (tmp_path / "结果.xlsx").exists()
