#!/usr/bin/env node
// One-shot import aid (issue 12): translates operations of agno 3.1.10's own /openapi.json
// (dumped by spec/scripts/agno-openapi.py) into fragments of spec/src/openapi/paths/ in this
// document's style. The fragments were then reviewed and are maintained by hand; rerunning this
// overwrites them. Usage: node spec/scripts/agno-import.mjs <agno-full.openapi.json>
import { readFileSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';

const agno = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const A = agno.components.schemas;

// METHOD path → [operationId, tag, scopes, feature|null, since, userOwned, summary]
const admin = ['agent_os:admin'];
// biome-ignore format: one operation per line reads as a table
const OPS = {
  // ---- base, new in 3.x
  'POST /agents/{agent_id}/sessions/{session_id}/compact': ['compactAgentSession', 'Agents', ['agents:{agent_id}:run'], null, '3.1', true, 'Compact the history of an agent session'],
  'POST /components/{component_id}/restore': ['restoreComponent', 'Components', ['components:delete'], null, '3.0', true, 'Restore a deleted component'],
  'POST /knowledge/content/{content_id}/refresh': ['refreshContent', 'Knowledge', ['knowledge:write'], null, '3.1', true, 'Refresh knowledge content from its source'],
  'GET /sessions/{session_id}/media/{storage_key}': ['getSessionMedia', 'Sessions', ['sessions:read'], null, '3.0', true, 'Download a media file of a session'],
  'GET /sessions/{session_id}/run-previews': ['listSessionRunPreviews', 'Sessions', ['sessions:read'], null, '3.1', true, 'List previews of the runs of a session'],
  'GET /filesystem/files': ['listFilesystemFiles', 'Filesystem', ['filesystem:read'], null, '3.1', true, 'List the files of an agent filesystem'],
  'GET /filesystem/entries': ['listFilesystemEntries', 'Filesystem', ['filesystem:read'], null, '3.1', true, 'List the entries of a directory of an agent filesystem'],
  'GET /filesystem/content': ['getFilesystemContent', 'Filesystem', ['filesystem:read'], null, '3.1', true, 'Read a file of an agent filesystem'],
  'GET /filesystem/search': ['searchFilesystem', 'Filesystem', ['filesystem:read'], null, '3.1', true, 'Search an agent filesystem'],
  'GET /queue': ['getQueueUnavailable', 'Queue', admin, null, '3.0', false, 'The queue surface without a durable queue (503)'],
  'POST /queue': ['postQueueUnavailable', 'Queue', admin, null, '3.0', false, 'The queue surface without a durable queue (503)'],
  'PUT /queue': ['putQueueUnavailable', 'Queue', admin, null, '3.0', false, 'The queue surface without a durable queue (503)'],
  'PATCH /queue': ['patchQueueUnavailable', 'Queue', admin, null, '3.0', false, 'The queue surface without a durable queue (503)'],
  'DELETE /queue': ['deleteQueueUnavailable', 'Queue', admin, null, '3.0', false, 'The queue surface without a durable queue (503)'],
  // ---- queue (durable)
  'GET /queue/jobs': ['listQueueJobs', 'Queue', admin, 'queue', '3.0', false, 'List jobs of the durable queue'],
  'GET /queue/jobs/{job_id}': ['getQueueJob', 'Queue', admin, 'queue', '3.0', false, 'Get a job of the durable queue'],
  'POST /queue/jobs/{job_id}/requeue': ['requeueQueueJob', 'Queue', admin, 'queue', '3.0', false, 'Requeue a failed or dead-lettered job'],
  'GET /queue/stats': ['getQueueStats', 'Queue', admin, 'queue', '3.0', false, 'Statistics of the durable queue'],
  // ---- authz
  'GET /authz/audit': ['listAuthzAudit', 'Authorization', admin, 'authz', '3.1', false, 'List the audit trail of role changes'],
  'GET /authz/decisions': ['listAuthzDecisions', 'Authorization', admin, 'authz', '3.1', false, 'List recorded authorization decisions'],
  'GET /authz/roles': ['listRoles', 'Authorization', admin, 'authz', '3.1', false, 'List managed roles'],
  'POST /authz/roles': ['createRole', 'Authorization', admin, 'authz', '3.1', false, 'Create a managed role'],
  'GET /authz/roles/{slug}': ['getRole', 'Authorization', admin, 'authz', '3.1', false, 'Get a managed role'],
  'PATCH /authz/roles/{slug}': ['updateRole', 'Authorization', admin, 'authz', '3.1', false, 'Update a managed role'],
  'DELETE /authz/roles/{slug}': ['deleteRole', 'Authorization', admin, 'authz', '3.1', false, 'Delete a managed role'],
  'PATCH /authz/roles/{slug}/scopes': ['patchRoleScopes', 'Authorization', admin, 'authz', '3.1', false, 'Add or remove grants of a role'],
  'PUT /authz/roles/{slug}/scopes': ['replaceRoleScopes', 'Authorization', admin, 'authz', '3.1', false, 'Replace the grants of a role'],
  'GET /authz/scopes': ['listAuthzScopes', 'Authorization', admin, 'authz', '3.1', false, 'List the scopes a role can grant'],
  'GET /authz/subjects/{subject}/roles': ['listSubjectRoles', 'Authorization', admin, 'authz', '3.1', false, 'List the roles assigned to a subject'],
  'POST /authz/subjects/{subject}/roles': ['assignSubjectRole', 'Authorization', admin, 'authz', '3.1', false, 'Assign a role to a subject'],
  'DELETE /authz/subjects/{subject}/roles/{role}': ['revokeSubjectRole', 'Authorization', admin, 'authz', '3.1', false, 'Revoke a role from a subject'],
  // ---- users
  'GET /users': ['listUsers', 'User Directory', admin, 'users', '3.1', false, 'List users of the directory'],
  'POST /users': ['createUser', 'User Directory', admin, 'users', '3.1', false, 'Add a user to the directory'],
  'GET /users/metrics': ['getUserMetrics', 'User Directory', admin, 'users', '3.1', false, 'User directory metrics'],
  'GET /users/{user_id}': ['getUser', 'User Directory', admin, 'users', '3.1', false, 'Get a user of the directory'],
  'PATCH /users/{user_id}': ['updateUser', 'User Directory', admin, 'users', '3.1', false, 'Update (or disable) a user of the directory'],
  'DELETE /users/{user_id}': ['deleteUser', 'User Directory', admin, 'users', '3.1', false, 'Remove a user from the directory'],
};
const company = (method, path, id, scopes, summary) => {
  OPS[`${method} /company${path}`] = [id, 'Company', scopes, 'company', '3.1', true, summary];
};
company('GET', '/attention', 'listCompanyAttention', ['tasks:read'], 'What needs attention');
company('GET', '/decisions', 'listCompanyDecisions', ['decisions:read'], 'List learning decisions');
company('POST', '/decisions', 'createCompanyDecision', ['decisions:write'], 'Record a learning decision');
for (const [plural, single, fam] of [
  ['products', 'Product', 'products'],
  ['projects', 'Project', 'projects'],
  ['tasks', 'Task', 'tasks'],
]) {
  const p = `/${plural}/{${single.toLowerCase()}_id}`;
  company('GET', `/${plural}`, `listCompany${single}s`, [`${fam}:read`], `List ${plural}`);
  company(
    'POST',
    `/${plural}`,
    `createCompany${single}`,
    [`${fam}:write`],
    `Create a ${single.toLowerCase()}`,
  );
  company('GET', p, `getCompany${single}`, [`${fam}:read`], `Get a ${single.toLowerCase()}`);
  company('PATCH', p, `updateCompany${single}`, [`${fam}:write`], `Update a ${single.toLowerCase()}`);
  company(
    'DELETE',
    p,
    `deleteCompany${single}`,
    [`${fam}:delete`],
    `Delete a ${single.toLowerCase()} (soft)`,
  );
  company(
    'POST',
    `${p}/restore`,
    `restoreCompany${single}`,
    [`${fam}:delete`],
    `Restore a deleted ${single.toLowerCase()}`,
  );
}
company(
  'GET',
  '/products/{product_id}/wiki',
  'listCompanyProductWiki',
  ['wiki:read'],
  'List the wiki pages of a product',
);
company(
  'GET',
  '/products/{product_id}/wiki/{path}',
  'getCompanyProductWikiPage',
  ['wiki:read'],
  'Read a wiki page of a product',
);
company(
  'PUT',
  '/products/{product_id}/wiki/{path}',
  'putCompanyProductWikiPage',
  ['wiki:write'],
  'Write a wiki page of a product',
);
company(
  'POST',
  '/projects/{project_id}/transitions',
  'transitionCompanyProject',
  ['projects:write'],
  'Move a project to another status',
);
company('GET', '/routines', 'listCompanyRoutines', ['routines:read'], 'List routines');
company(
  'POST',
  '/routines',
  'createCompanyRoutine',
  ['routines:write', 'schedules:write'],
  'Create a routine',
);
company('GET', '/routines/{routine_id}', 'getCompanyRoutine', ['routines:read'], 'Get a routine');
company(
  'PATCH',
  '/routines/{routine_id}',
  'updateCompanyRoutine',
  ['routines:write', 'schedules:write'],
  'Update a routine',
);
company(
  'POST',
  '/routines/{routine_id}/pause',
  'pauseCompanyRoutine',
  ['routines:write', 'schedules:write'],
  'Pause a routine',
);
company(
  'POST',
  '/routines/{routine_id}/resume',
  'resumeCompanyRoutine',
  ['routines:write', 'schedules:write'],
  'Resume a routine',
);
company(
  'GET',
  '/routines/{routine_id}/runs',
  'listCompanyRoutineRuns',
  ['routines:read', 'schedules:read'],
  'List the runs of a routine',
);
company(
  'POST',
  '/routines/{routine_id}/trigger',
  'triggerCompanyRoutine',
  ['routines:write', 'schedules:write'],
  'Trigger a routine now',
);
company('GET', '/runs/{run_id}', 'getCompanyRun', ['tasks:read'], 'Get a task run');
company('POST', '/runs/{run_id}/cancel', 'cancelCompanyRun', ['tasks:write'], 'Cancel a task run');
company('POST', '/setup', 'setupCompany', ['products:write'], 'Set up the company');
company('GET', '/sources', 'listCompanySources', ['sources:read'], 'List sources');
company('POST', '/sources', 'createCompanySource', ['sources:write'], 'Add a source');
company(
  'DELETE',
  '/sources/{source_id}',
  'deleteCompanySource',
  ['sources:delete'],
  'Delete a source (soft)',
);
company(
  'POST',
  '/sources/{source_id}/restore',
  'restoreCompanySource',
  ['sources:delete'],
  'Restore a deleted source',
);
company('GET', '/tasks/{task_id}/runs', 'listCompanyTaskRuns', ['tasks:read'], 'List the runs of a task');
company(
  'POST',
  '/tasks/{task_id}/runs',
  'startCompanyTaskRun',
  ['tasks:write', 'wiki:read'],
  'Start a run of a task',
);
company(
  'POST',
  '/tasks/{task_id}/transitions',
  'transitionCompanyTask',
  ['tasks:write'],
  'Move a task to another status',
);
company('GET', '/wiki', 'listCompanyWiki', ['wiki:read'], 'List the company wiki');
company('GET', '/wiki/{path}', 'getCompanyWikiPage', ['wiki:read'], 'Read a company wiki page');
company('PUT', '/wiki/{path}', 'putCompanyWikiPage', ['wiki:write'], 'Write a company wiki page');

// agno schema → this document's schema (existing ones are reused; errors become responses)
const REUSE = {
  ComponentResponse: 'ComponentResponse',
  ComponentType: 'ComponentType',
  ContentResponseSchema: 'ContentResponseSchema',
  ContentStatus: 'ContentStatus',
  PaginationInfo: 'PaginationInfo',
  SortOrder: 'SortOrder',
  SessionType: 'SessionType',
  ScheduleRunResponse: 'ScheduleRunResponse',
};
const rename = (n) => {
  if (REUSE[n]) return REUSE[n];
  if (n === 'agno__os__authz__admin_router__ScopeItem') return 'RoleScopeInput';
  const m = /^PaginatedResponse_(.+)_$/.exec(n);
  if (m) return m[1] === 'Dict_str__Any__' ? 'PaginatedObject' : `Paginated${m[1]}`;
  if (n === 'PaginatedResponse') return 'PaginatedObject';
  return n;
};
const newSchemas = new Map(); // name → translated
const queue = [];
const refTo = (n) => {
  const name = rename(n);
  if (!REUSE[n] && !newSchemas.has(name)) {
    newSchemas.set(name, null);
    queue.push([n, name]);
  }
  return { $ref: `#/components/schemas/${name}` };
};

function clean(s) {
  if (Array.isArray(s)) return s.map(clean);
  if (s === null || typeof s !== 'object') return s;
  if (s.$ref) return refTo(s.$ref.split('/').pop());
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'title') continue;
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v).map(([p, x]) => [p, clean(x)]));
    else out[k] = clean(v);
  }
  const list = out.anyOf;
  if (Array.isArray(list)) {
    const nonNull = list.filter((x) => !(x && x.type === 'null'));
    if (nonNull.length === list.length - 1) {
      delete out.anyOf;
      if (
        nonNull.length === 1 &&
        nonNull[0].type &&
        typeof nonNull[0].type === 'string' &&
        !nonNull[0].$ref
      ) {
        return { ...nonNull[0], ...out, type: [nonNull[0].type, 'null'] };
      }
      return { ...out, oneOf: [...nonNull, { type: 'null' }] };
    }
    delete out.anyOf;
    out.oneOf = list;
  }
  if (Object.keys(out).length === 0) return {};
  return out;
}

const SHARED = {
  db_id: 'DbId',
  table: 'Table',
  limit: 'Limit',
  page: 'Page',
  sort_order: 'SortOrderQuery',
};
function param(p) {
  if (SHARED[p.name] && p.in === 'query') return { $ref: `#/components/parameters/${SHARED[p.name]}` };
  const schema = clean(p.schema ?? {});
  const out = { name: p.name, in: p.in, required: p.in === 'path' ? true : !!p.required };
  const description = p.description ?? schema.description;
  delete schema.description;
  if (description) out.description = description;
  // A query parameter is absent rather than null: `Optional[X] = None` is just an optional X.
  if (Array.isArray(schema.type) && schema.type.includes('null')) {
    const rest = schema.type.filter((t) => t !== 'null');
    schema.type = rest.length === 1 ? rest[0] : rest;
  }
  out.schema = p.in === 'path' ? { type: schema.type ?? 'string' } : schema;
  // agno declares these `{name:path}` (several segments); here a path parameter is one segment.
  if (p.in === 'path' && (p.name === 'path' || p.name === 'storage_key')) {
    out.description =
      `${description ? `${description}. ` : ''}May contain \`/\` (agno matches \`{${p.name}:path}\`): ` +
      'send it percent-encoded as one segment (`%2F`); it is decoded once.';
  }
  return out;
}

const ERR = {
  400: 'BadRequest',
  404: 'NotFound',
  409: 'Conflict',
  422: 'ValidationError',
  503: 'ServiceUnavailable',
};
function errorCodes(key, o) {
  const [method, path] = key.split(' ');
  const codes = new Set(Object.keys(o.responses).filter((c) => ERR[c]));
  const hasParams = (o.parameters ?? []).length > 0 || o.requestBody;
  if (hasParams) codes.add('422');
  else codes.delete('422');
  if (path.includes('{')) codes.add('404');
  const area = path.split('/')[1];
  if (
    ['authz', 'users', 'company'].includes(area) &&
    ['POST', 'PUT', 'PATCH'].includes(method) &&
    o.requestBody
  )
    codes.add('409');
  if (['company', 'queue'].includes(area)) codes.add('503');
  if (o.requestBody) codes.add('400');
  // Restoring a row that is not archived answers 409 ("... is not archived").
  if (path.endsWith('/restore')) codes.add('409');
  return [...codes].sort();
}

const FRAG = {
  '40-agentos-3.1-base.yaml': (k) =>
    !k.includes('/authz') && !k.includes('/users') && !k.includes('/company') && !/\/queue\//.test(k),
  '50-authz-users-queue.yaml': (k) => k.includes('/authz') || / \/users/.test(k) || /\/queue\//.test(k),
  '60-company.yaml': (k) => k.includes('/company'),
};
const files = Object.fromEntries(Object.keys(FRAG).map((f) => [f, { paths: {}, schemas: new Set() }]));

for (const [key, meta] of Object.entries(OPS)) {
  const [method, path] = key.split(' ');
  const o = agno.paths[path]?.[method.toLowerCase()] ?? (path === '/queue' ? null : undefined);
  const [operationId, tag, scopes, feature, since, userOwned, summary] = meta;
  const file = Object.keys(FRAG).find((f) => FRAG[f](key));
  const before = new Set(newSchemas.keys());
  let op;
  if (o === null) {
    op = {
      operationId,
      tags: [tag],
      summary,
      description:
        'Served when the AgentOS runs without a durable queue (`queue=QueueConfig(durable=True)` not given): ' +
        'every method of `/queue` and of any path under it answers 503 naming the switch. With a durable ' +
        'queue these are replaced by the `/queue/jobs` and `/queue/stats` operations.',
      'x-required-scopes': scopes,
      'x-agentos-since': since,
      responses: { 503: { $ref: '#/components/responses/QueueUnavailable' } },
    };
  } else {
    if (!o) throw new Error(`agno has no ${key}`);
    op = { operationId, tags: [tag], summary, description: (o.description ?? summary).trim() };
    op['x-required-scopes'] = scopes;
    if (userOwned) op['x-user-owned'] = true;
    if (feature) op['x-agentos-feature'] = feature;
    op['x-agentos-since'] = since;
    if (o.parameters?.length) op.parameters = o.parameters.map(param);
    if (o.requestBody) {
      const content = {};
      for (const [mt, m] of Object.entries(o.requestBody.content)) content[mt] = { schema: clean(m.schema) };
      op.requestBody = { required: !!o.requestBody.required, content };
    }
    const responses = {};
    for (const [code, r] of Object.entries(o.responses)) {
      if (code[0] !== '2') continue;
      const res = { description: r.description === 'Successful Response' ? summary : r.description };
      if (r.content && Object.keys(r.content).length) {
        res.content = {};
        for (const [mt, m] of Object.entries(r.content)) {
          let schema = clean(m.schema ?? {});
          if (mt === 'application/json' && Object.keys(schema).length === 0)
            schema = { type: 'object', additionalProperties: true };
          const media = { schema };
          const ex = m.example ?? (m.examples ? Object.values(m.examples)[0]?.value : undefined);
          if (ex !== undefined) media.example = ex;
          res.content[mt] = media;
        }
      }
      responses[code] = res;
    }
    for (const c of errorCodes(key, o)) responses[c] = { $ref: `#/components/responses/${ERR[c]}` };
    op.responses = responses;
  }
  files[file].paths[path] ??= {};
  files[file].paths[path][method.toLowerCase()] = op;
  // drain schema queue, attributing new schemas to this file
  while (queue.length) {
    const [src, name] = queue.shift();
    const s = clean(A[src]);
    newSchemas.set(name, s);
  }
  for (const n of newSchemas.keys()) if (!before.has(n)) files[file].schemas.add(n);
}

const DROP = new Set([
  'BadRequestResponse',
  'NotFoundResponse',
  'UnauthenticatedResponse',
  'InternalServerErrorResponse',
  'ValidationErrorResponse',
  'HTTPValidationError',
  'ValidationError',
  'ValidationErrorDetail',
]);
for (const [file, { paths, schemas }] of Object.entries(files)) {
  const comps = {};
  for (const n of [...schemas].sort()) if (!DROP.has(n)) comps[n] = newSchemas.get(n);
  const doc = { paths, components: { schemas: comps } };
  if (file.startsWith('40')) {
    doc.components.responses = {
      QueueUnavailable: {
        description: 'The AgentOS runs without a durable queue.',
        content: {
          'application/json': {
            schema: { $ref: '#/components/schemas/ErrorDetail' },
            example: {
              detail:
                'Queue not available: pass a `queue=QueueConfig(durable=True)` to AgentOS to enable this feature.',
            },
          },
        },
      },
    };
  }
  const header = `# AgentOS 3.1 operations (agno 3.1.10), imported from agno's own /openapi.json by\n# spec/scripts/agno-import.mjs and reviewed; see spec/CONVENTIONS.md.\n`;
  writeFileSync(`spec/src/openapi/paths/${file}`, header + YAML.stringify(doc, { lineWidth: 110 }));
}
