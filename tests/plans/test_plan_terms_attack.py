"""A careless contract edit: a pack "without end" written as 9999-12-31. The file loaded,
then every charge and the term-end job (which look at each term's end, local midnight the day
after) failed with OverflowError. It is refused with its line, as the file's other mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportbot.contracts.customers import load_contracts
from supportbot.datafiles import DataFileError
from tests.plans.test_plan_errors import GOOD_PACK, HEAD


@pytest.mark.parametrize("end", ["9999-12-31"])
def test_a_term_ending_in_the_last_representable_year_is_refused_with_its_line(
    tmp_path: Path, end: str
) -> None:
    path = tmp_path / "customers.yaml"
    path.write_text(HEAD + GOOD_PACK.replace("end: 2027-12-31", f"end: {end}"))
    with pytest.raises(DataFileError) as caught:
        load_contracts(path)
    said = str(caught.value)
    assert f"{path}:17: customers[0].plans[0].terms[1].end: the term's end {end}" in said, said
    assert "write 9998-12-31 or earlier" in said


def test_a_far_but_representable_end_loads_and_its_end_is_an_instant(tmp_path: Path) -> None:
    path = tmp_path / "customers.yaml"
    path.write_text(HEAD + GOOD_PACK.replace("end: 2027-12-31", "end: 9998-12-31"))
    customer = load_contracts(path).customers[0]
    term = customer.plans[0].terms[1]
    assert term.ends_at(customer.timezone).year == 9999
