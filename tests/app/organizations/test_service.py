"""The organizations domain's service."""

import pytest

from app.core.errors import NotFound
from app.organizations import service as organization_service
from tests.factories import create_organization


def test_a_users_own_organization(session):
    organization = create_organization(session, name="Acme")
    assert organization_service.get_own(session, organization.id) is organization
    with pytest.raises(NotFound):
        organization_service.get_own(session, organization.id + 1000)
    assert organization_service.get(session, organization.id + 1000) is None
