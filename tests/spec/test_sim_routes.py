"""The simulator-routes helper the spec drift guard reuses: what the router serves, by shape."""

from __future__ import annotations

import pytest

from tests.spec.official_spec import load_spec
from tests.spec.sim_routes import shape, sim_operations, spec_operations, unserved


def test_shape_blanks_parameters_and_prefix() -> None:
    """Templates compare by shape: ``/v3`` dropped, every ``{name}`` blanked."""
    assert shape("/v3/emails/activities/{campaign_activity_id}/tests") == (
        "/emails/activities/{}/tests"
    )
    assert shape("/reports/stats/email_campaigns/{ids}") == "/reports/stats/email_campaigns/{}"


def test_sim_operations_read_the_router() -> None:
    """The helper lists the simulator's /v3 routes (methods upper-case, no HEAD, no OAuth)."""
    served = sim_operations()
    assert ("GET", "/contacts/{contact_id}") in served
    assert ("GET", "/contacts/contact_id_xrefs") in served
    assert ("PATCH", "/segments/{segment_id}/name") in served
    assert not any(method == "HEAD" for method, _ in served)
    assert not any(template.startswith("/oauth2") for _, template in served)


@pytest.mark.spec
def test_every_served_shape_is_a_spec_operation() -> None:
    """The simulator serves no /v3 operation the spec lacks (a typo in a route would show)."""
    spec_shapes = {(m, shape(t)) for m, t in spec_operations(load_spec())}
    extra = {(m, t) for m, t in sim_operations() if (m, shape(t)) not in spec_shapes}
    assert extra == set()
    assert unserved(load_spec()) <= spec_operations(load_spec())


@pytest.mark.spec
def test_simulator_serves_every_spec_operation() -> None:
    """All 128 operations of the spec are served by the simulator (a new spec shows what's new)."""
    spec = load_spec()
    assert unserved(spec) == set()
    assert len(spec_operations(spec)) >= 128
