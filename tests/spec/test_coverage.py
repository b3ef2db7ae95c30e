"""Spec drift guard: every operation of the official spec has a client method and a simulator route.

The mapping lives in :mod:`tests.spec.coverage`; the README's coverage table is generated from it
(``python -m tests.spec.coverage --write``) and checked here.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.spec import coverage
from tests.spec.coverage import Operation
from tests.spec.official_spec import load_spec


@pytest.fixture(scope="module")
def operations() -> list[Operation]:
    """Every operation of the official spec."""
    return coverage.spec_operations(load_spec())


@pytest.mark.spec
def test_every_spec_operation_is_mapped_to_a_client_method(operations: list[Operation]) -> None:
    """A spec operation absent from CLIENT_METHODS fails, naming it (what a newer spec added)."""
    unmapped = sorted(
        f"{op.method} {op.path} ({op.operation_id})"
        for op in operations
        if op.operation_id not in coverage.CLIENT_METHODS
    )
    assert unmapped == [], "operations of the spec with no client method:\n" + "\n".join(unmapped)


@pytest.mark.spec
def test_mapping_names_only_spec_operations(operations: list[Operation]) -> None:
    """An entry of CLIENT_METHODS whose operation left the spec fails, naming it."""
    ids = {op.operation_id for op in operations}
    assert sorted(set(coverage.CLIENT_METHODS) - ids) == []


@pytest.mark.spec
def test_spec_operation_count_is_the_one_the_table_reports(operations: list[Operation]) -> None:
    """Operation ids are unique in the spec (the mapping is keyed by them)."""
    ids = [op.operation_id for op in operations]
    assert len(ids) == len(set(ids))


def test_mapped_methods_exist_except_the_pending_ones() -> None:
    """Every mapped method exists on Client/PartnerClient, but exactly those in CLIENT_PENDING."""
    missing = set(coverage.CLIENT_METHODS) - coverage.client_served()
    assert sorted(missing) == sorted(coverage.CLIENT_PENDING)


@pytest.mark.spec
def test_simulator_routes_every_operation_but_the_pending_ones(operations: list[Operation]) -> None:
    """The simulator's router serves every spec operation, except exactly those in SIM_PENDING.

    Serving a pending one fails too, so SIM_PENDING shrinks as the simulator grows.
    """
    served = coverage.sim_served(operations, coverage.sim_routes())
    unserved = {op.operation_id for op in operations} - served
    assert sorted(unserved) == sorted(coverage.SIM_PENDING)


@pytest.mark.spec
def test_readme_coverage_table_is_generated_from_the_mapping() -> None:
    """The README's coverage table equals the one generated from the mapping, spec and router."""
    table = coverage.readme_table(coverage.README.read_text(encoding="utf-8"))
    assert table is not None, "README.md lost its coverage markers"
    expected = coverage.current_table(load_spec())
    assert table == expected, "run: python -m tests.spec.coverage --write"


def test_route_key_ignores_parameter_names_and_base_path() -> None:
    """Routes match the spec whatever their parameters are called and with or without ``/v3``."""
    assert coverage.route_key("get", "/v3/contacts/{id}") == ("GET", "/contacts/{}")
    assert coverage.route_key("GET", "/contacts/{contact_id}") == ("GET", "/contacts/{}")
    assert coverage.route_key("PUT", "/a/{x}/b/{y}/") == ("PUT", "/a/{}/b/{}")


def test_sim_routes_include_a_known_operation() -> None:
    """The router reader finds the simulator's contact routes (it reads the real router)."""
    routes = coverage.sim_routes()
    assert ("GET", "/contacts/{}") in routes
    assert ("POST", "/contacts/sign_up_form") in routes


def test_a_planted_operation_shows_as_unmapped_and_unserved() -> None:
    """A new operation in a spec is neither mapped nor routed: the guard would name it."""
    spec: dict[str, Any] = {
        "paths": {
            "/contacts": {"get": {"operationId": "getContacts", "tags": ["Contacts"]}},
            "/brand_new": {"post": {"operationId": "postBrandNew", "tags": ["New"]}},
        }
    }
    ops = coverage.spec_operations(spec)
    assert [op.operation_id for op in ops if op.operation_id not in coverage.CLIENT_METHODS] == [
        "postBrandNew"
    ]
    assert coverage.sim_served(ops, coverage.sim_routes()) == {"getContacts"}


def test_render_counts_per_area_with_the_sdk_beside() -> None:
    """The table counts per area; areas the SDK lacks show 0 in its column."""
    ops = [
        Operation("a", "GET", "/a", "Contacts"),
        Operation("b", "GET", "/b", "Contacts"),
        Operation("c", "GET", "/c", "Automations"),
    ]
    table = coverage.render(ops, client={"a", "c"}, sim={"a"})
    assert "| Automations | 1 | 0 | 1 | 0 |" in table
    assert "| Contacts | 2 | 2 | 1 | 1 |" in table
    assert table.endswith("| **All** | **3** | **2** | **2** | **1** |")
