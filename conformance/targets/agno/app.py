"""The Python AgentOS as a conformance target (agno 2.9.0 or 3.1.10, whichever the venv holds).

An AgentOS with authorization on (RS256, audience verification, user isolation), a SQLite
database seeded with rows owned by two users, two agents, a team and a workflow. The model is a
local fake that never calls the network, so runs complete offline.

With agno 3.x the new `Authorization` object is used instead of the deprecated
`AuthorizationConfig`: issuer pinning, roles read from the `role` claim (role `reader`: allow
`agents:*:read`, deny `agents:support-agent:read`), token scopes trusted alongside roles (the suite
speaks scopes), and a user directory whose subject `conformance-disabled` is disabled.

Security-key mode: with OS_SECURITY_KEY set and no AGENTOS_PUBLIC_KEY_FILE, the same entities are
served with authorization off and no JWT configuration, so agno's settings (AgnoAPISettings reads
OS_SECURITY_KEY from the environment, in 2.9.0 and 3.1.10 alike) make the key the only credential:
every non-public route then needs `Authorization: Bearer <key>`, the workflow socket's `authenticate`
too. No user isolation and no user directory there (agno 3.x warns that both are advisory without
authorization).

Environment:
  AGENTOS_PUBLIC_KEY_FILE  PEM public key the server trusts (JWT mode; required unless OS_SECURITY_KEY)
  OS_SECURITY_KEY          the shared key (security-key mode, when AGENTOS_PUBLIC_KEY_FILE is unset)
  AGENTOS_AUDIENCE         expected `aud` (default: agentos-conformance)
  AGENTOS_ISSUER           expected `iss` (3.x only; default: https://issuer.conformance.example)
  AGENTOS_DB_FILE          SQLite file (default: ./run/agno.db)

Run: uvicorn app:app --host 127.0.0.1 --port 7777   (run.sh does all of this)
"""

import os
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

from agno.agent import Agent
from agno.db.schemas.memory import UserMemory
from agno.db.sqlite import SqliteDb
from agno.models.base import Model
from agno.models.response import ModelResponse
from agno.os import AgentOS
from agno.session import AgentSession
from agno.team import Team
from agno.workflow import Workflow
from agno.workflow.step import Step


class OfflineModel(Model):
    """A model that answers "ok" without any network call."""

    def __init__(self) -> None:
        super().__init__(id="offline", name="Offline", provider="Offline")

    def _answer(self) -> ModelResponse:
        return ModelResponse(role="assistant", content="ok", input_tokens=1, output_tokens=1, total_tokens=2)

    def invoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self._answer()

    async def ainvoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self._answer()

    def invoke_stream(self, *args: Any, **kwargs: Any) -> Iterator[ModelResponse]:
        yield self._answer()

    async def ainvoke_stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ModelResponse]:
        yield self._answer()

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        return response

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        return response


here = Path(__file__).resolve().parent
key_mode = not os.environ.get("AGENTOS_PUBLIC_KEY_FILE")
if key_mode and not os.environ.get("OS_SECURITY_KEY"):
    raise SystemExit("app.py: set AGENTOS_PUBLIC_KEY_FILE (JWT mode) or OS_SECURITY_KEY (security-key mode)")
public_key = "" if key_mode else Path(os.environ["AGENTOS_PUBLIC_KEY_FILE"]).read_text()
audience = os.environ.get("AGENTOS_AUDIENCE", "agentos-conformance")
db_file = os.environ.get("AGENTOS_DB_FILE", str(here / "run" / "agno.db"))
Path(db_file).parent.mkdir(parents=True, exist_ok=True)

db = SqliteDb(db_file=db_file, id="main-db")

research = Agent(id="research-agent", name="Research Agent", model=OfflineModel(), db=db)
support = Agent(id="support-agent", name="Support Agent", model=OfflineModel(), db=db)
team = Team(id="research-team", name="Research Team", members=[research, support], model=OfflineModel(), db=db)
pipeline = Workflow(id="content-pipeline", name="Content Pipeline", steps=[Step(name="research", agent=research)], db=db)


def seed() -> None:
    """Rows owned by user_123 and user_456, so isolation probes have another user's data to aim at."""
    now = int(time.time())
    for i, user in enumerate(["user_123", "user_123", "user_456"]):
        db.upsert_session(
            AgentSession(
                session_id=f"9f1c2d3e-0000-4000-8000-00000000000{i + 1}",
                agent_id="research-agent",
                user_id=user,
                session_data={"session_name": f"seeded session {i + 1}"},
                created_at=now,
                updated_at=now,
            )
        )
    for i, user in enumerate(["user_123", "user_456"]):
        db.upsert_user_memory(UserMemory(memory=f"seeded memory of {user}", memory_id=f"mem_0{i + 1}", user_id=user, topics=["seed"]))


seed()

AGNO_MAJOR = int(version("agno").split(".")[0])

if key_mode:
    # No `authorization`, no JWT_VERIFICATION_KEY/JWT_JWKS_FILE: the auth layer agno installs is the
    # security-key check (`get_effective_auth_mode` → "security_key").
    agent_os = AgentOS(
        id="agentos-conformance",
        description="Python AgentOS in security-key mode under the AgentOS conformance suite",
        agents=[research, support],
        teams=[team],
        workflows=[pipeline],
        db=db,
        telemetry=False,
    )
    app = agent_os.get_app()
elif AGNO_MAJOR >= 3:
    from agno.os.authz import Authorization, UserDirectory

    authz = Authorization(
        verification_keys=[public_key],
        algorithm="RS256",
        verify_audience=True,
        audience=audience,
        issuer=os.environ.get("AGENTOS_ISSUER", "https://issuer.conformance.example"),
        roles_claim="role",
        trust_token_scopes=True,
    )
    authz.define_role("reader", [("agents:*:read", "allow"), ("agents:support-agent:read", "deny")])
    directory = UserDirectory()
    agent_os = AgentOS(
        id="agentos-conformance",
        description="Python AgentOS under the AgentOS conformance suite",
        agents=[research, support],
        teams=[team],
        workflows=[pipeline],
        db=db,
        authorization=authz,
        user_isolation=True,
        user_directory=directory,
        telemetry=False,
    )
    app = agent_os.get_app()
    directory.set_disabled("conformance-disabled", True)
else:
    from agno.os.config import AuthorizationConfig

    agent_os = AgentOS(
        id="agentos-conformance",
        description="Python AgentOS under the AgentOS conformance suite",
        agents=[research, support],
        teams=[team],
        workflows=[pipeline],
        db=db,
        authorization=True,
        authorization_config=AuthorizationConfig(
            verification_keys=[public_key],
            algorithm="RS256",
            verify_audience=True,
            audience=audience,
            user_isolation=True,
        ),
        telemetry=False,
    )
    app = agent_os.get_app()
