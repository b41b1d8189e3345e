"""The care notes fixtures (a care team and a patient they look after) for the PWA tests."""

from tests.integration.care_notes.conftest import ada  # noqa: F401
from tests.integration.patients.conftest import keyring, team  # noqa: F401
