"""Builds agno AgentOS apps (base, and with every feature) and dumps their openapi.json."""
import json, os, sys, tempfile, warnings
warnings.filterwarnings("ignore")
os.environ.setdefault("AGNO_TELEMETRY", "false")
os.environ.setdefault("OPENAI_API_KEY", "sk-test")
from agno.agent import Agent
from agno.team import Team
from agno.workflow import Workflow
from agno.workflow.step import Step
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat
from agno.os import AgentOS
from agno.registry import Registry

def build(full: bool, path: str):
    db = SqliteDb(db_file=path)
    agent = Agent(id="research-agent", name="Research", model=OpenAIChat(id="gpt-4o-mini"), db=db)
    team = Team(id="research-team", name="Team", members=[agent], model=OpenAIChat(id="gpt-4o-mini"), db=db)
    wf = Workflow(id="content-pipeline", name="Pipeline", steps=[Step(name="s", agent=agent)], db=db)
    kw = dict(db=db, agents=[agent], teams=[team], workflows=[wf], registry=Registry(), scheduler=True, telemetry=False)
    if full:
        from agno.os.authz import Authorization
        from agno.company.config import CompanyConfig
        from agno.job_queue import QueueConfig
        authz = Authorization(verification_keys=["secret-secret-secret-secret-secret-32"], algorithm="HS256", audit=True, roles_claim="role")
        authz.define_role("reader", ["agents:*:read"])
        kw.update(authorization=authz, user_directory=True, company=CompanyConfig(), queue=QueueConfig(durable=True))
    os_ = AgentOS(**kw)
    return os_.get_app()

d = tempfile.mkdtemp()
for name, full in (("base", False), ("full", True)):
    app = build(full, f"{d}/{name}.db")
    spec = app.openapi()
    out = sys.argv[1] + f"/agno-3.1.10-{name}.openapi.json"
    with open(out, "w") as f:
        json.dump(spec, f, indent=1, sort_keys=True)
    n = sum(1 for p in spec["paths"].values() for m in p if m in ("get","post","put","patch","delete"))
    print(name, n)
