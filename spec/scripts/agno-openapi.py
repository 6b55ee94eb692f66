"""Dumps the REST operations a released agno AgentOS serves, for spec/test/versions.test.ts.

Builds the AgentOS app the way agno-3.1.10-drift.tsv describes (SQLite db, an agent, a team, a
workflow, a registry and the scheduler); on agno 3.x also a second app with every optional feature
(Authorization with managed roles and audit, user_directory, CompanyConfig, a durable queue).
Writes, into OUTDIR:
  agno-<version>-base.openapi.json, agno-<version>-full.openapi.json  agno's own app.openapi()
  agno-<version>.operations.tsv  METHOD<TAB>PATH<TAB>FEATURE, one operation a line, sorted
An operation served only by the full app gets the feature that mounts it (by path prefix);
everything the base app serves is "-" (the /queue surface of a base app answers 503 without a
durable queue: it is a base operation). Routes agno hides from its schema (include_in_schema=False)
are listed too, except the catch-alls of disabled features ({path:path}); the docs routes
(/docs, /redoc, /openapi.json, /docs/oauth2-redirect) are left out.

Usage (in a venv with agno==X fastapi uvicorn sqlalchemy greenlet aiosqlite pyjwt python-multipart openai):
  python spec/scripts/agno-openapi.py OUTDIR
"""
import json, os, sys, tempfile, warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("AGNO_TELEMETRY", "false")
os.environ.setdefault("OPENAI_API_KEY", "sk-test")

from importlib.metadata import version as pkg_version

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat
from agno.os import AgentOS
from agno.team import Team
from agno.workflow import Workflow
from agno.workflow.step import Step

VERSION = pkg_version("agno")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
DOCS = {"/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"}
FEATURE_PREFIXES = (("/authz", "authz"), ("/users", "users"), ("/company", "company"), ("/queue/", "queue"))


def build(full: bool, path: str):
    from agno.registry import Registry

    db = SqliteDb(db_file=path)
    agent = Agent(id="research-agent", name="Research", model=OpenAIChat(id="gpt-4o-mini"), db=db)
    team = Team(id="research-team", name="Team", members=[agent], model=OpenAIChat(id="gpt-4o-mini"), db=db)
    wf = Workflow(id="content-pipeline", name="Pipeline", steps=[Step(name="s", agent=agent)], db=db)
    kw = dict(db=db, agents=[agent], teams=[team], workflows=[wf], registry=Registry(), scheduler=True, telemetry=False)
    if full:
        from agno.company.config import CompanyConfig
        from agno.job_queue import QueueConfig
        from agno.os.authz import Authorization

        authz = Authorization(
            verification_keys=["secret-secret-secret-secret-secret-32"], algorithm="HS256", audit=True, roles_claim="role"
        )
        authz.define_role("reader", ["agents:*:read"])
        kw.update(authorization=authz, user_directory=True, company=CompanyConfig(), queue=QueueConfig(durable=True))
    return AgentOS(**kw).get_app()


def operations(app):
    spec = app.openapi()
    ops = {(m.upper(), p) for p, item in spec["paths"].items() for m in item if m.upper() in METHODS}
    for route, prefix in flat_routes(app.routes):
        methods = getattr(route, "methods", None)
        if not methods or getattr(route, "include_in_schema", True) or ":path}" in route.path:
            continue
        ops |= {(m, prefix + route.path_format) for m in methods if m in METHODS}
    return spec, {op for op in ops if op[1] not in DOCS and not op[1].startswith("/mcp")}


def flat_routes(routes, prefix=""):
    """Every route with its prefix; newer FastAPI keeps included routers as wrappers."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from flat_routes(inner.routes, prefix + (route.include_context.prefix or ""))
        else:
            yield route, prefix


def feature_of(path: str) -> str:
    return next((f for prefix, f in FEATURE_PREFIXES if path.startswith(prefix)), "?")


def main(outdir: str) -> None:
    tmp = tempfile.mkdtemp()
    spec, base = operations(build(False, f"{tmp}/base.db"))
    with open(f"{outdir}/agno-{VERSION}-base.openapi.json", "w") as f:
        json.dump(spec, f, indent=1, sort_keys=True)
    rows = {op: "-" for op in base}
    if int(VERSION.split(".")[0]) >= 3:
        spec, full = operations(build(True, f"{tmp}/full.db"))
        with open(f"{outdir}/agno-{VERSION}-full.openapi.json", "w") as f:
            json.dump(spec, f, indent=1, sort_keys=True)
        rows.update({op: feature_of(op[1]) for op in full - base})
    with open(f"{outdir}/agno-{VERSION}.operations.tsv", "w") as f:
        f.write(f"# REST operations of agno {VERSION} (spec/scripts/agno-openapi.py): METHOD, PATH, FEATURE (- = base app)\n")
        for (method, path), feature in sorted(rows.items(), key=lambda r: (r[0][1], r[0][0])):
            f.write(f"{method}\t{path}\t{feature}\n")
    print(VERSION, len(rows), {f: sum(1 for v in rows.values() if v == f) for f in sorted(set(rows.values()))})


if __name__ == "__main__":
    main(sys.argv[1])
