"""Sign-in with text the database cannot hold: a 400, never a server error."""

from __future__ import annotations

import httpx

from tests.integration.identity.helpers import submit_login


async def test_a_nul_byte_in_the_sign_in_email_is_a_400(client: httpx.AsyncClient) -> None:
    response = await submit_login(client, "cara\x00@example.com")
    assert response.status_code == 400
    assert "That request was not understood" in response.text
    assert "tend_session" not in response.headers.get("set-cookie", "")
