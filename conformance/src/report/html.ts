/**
 * @module report/html — one self-contained HTML file (no external assets): an operation × probe
 * matrix coloured by result, and for every failure the curl reproduction (token redacted) with
 * expected vs actual status, headers and body excerpt.
 */
import { excerpt } from '../expect.js';
import type { SuiteResult } from '../run.js';
import type { CaseResult } from '../types.js';

const esc = (s: string) =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}h1{font-size:1.4rem}
table.m{border-collapse:collapse;font-size:11px}table.m th,table.m td{border:1px solid #ddd;padding:0}
table.m th.p{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;padding:4px 2px;font-weight:normal}
table.m td.o{padding:2px 6px;white-space:nowrap;font-family:ui-monospace,monospace}
td.c{width:14px;height:14px}td.pass{background:#3fb950}td.fail{background:#f85149}td.fail.SHOULD{background:#e3b341}
td.xfail{background:#a371f7}td.skip{background:#d0d7de}td.c a{display:block;width:100%;height:14px}
.legend span{display:inline-block;padding:2px 8px;margin-right:6px;border-radius:3px}
.f{border:1px solid #ddd;border-left:5px solid #f85149;margin:1rem 0;padding:.5rem 1rem}.f.SHOULD{border-left-color:#e3b341}.f.xfail{border-left-color:#a371f7}
pre{background:#f6f8fa;padding:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:12px}
.k{color:#57606a}.sum td{padding:2px 10px}code{font-size:12px}`;

function cell(r: CaseResult | undefined): string {
  if (!r) return '<td class="c"></td>';
  const title = `${r.probeId} ${r.method} ${r.path}: ${r.status}${r.message ? ` — ${excerpt(r.message, 200)}` : ''}`;
  const link = r.status === 'fail' || r.status === 'xfail' ? `<a href="#${anchor(r)}"></a>` : '';
  return `<td class="c ${r.status} ${r.severity}" title="${esc(title)}">${link}</td>`;
}

const anchor = (r: CaseResult) => `f-${r.probeId}-${r.operationId}`.replace(/[^A-Za-z0-9_-]/g, '_');

function failureBlock(r: CaseResult): string {
  const steps = r.steps
    .filter((s) => !s.pass)
    .map((s) => {
      const hdrs = Object.entries(s.responseHeaders)
        .filter(([k]) =>
          /^(www-authenticate|content-type|access-control-allow-origin|cache-control|location|allow)$/.test(
            k,
          ),
        )
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n');
      return `<h4>${esc(s.label)}</h4>
<table class="sum"><tr><td class="k">expected</td><td>${esc(s.expected)}${s.oracle ? ` <span class="k">(oracle: ${esc(s.oracle)})</span>` : ''}</td></tr>
<tr><td class="k">actual</td><td>${s.status ? `HTTP ${s.status}` : esc(s.error ?? 'no response')} in ${s.elapsedMs} ms — ${esc(s.message ?? '')}</td></tr></table>
<pre>${esc(s.curl)}</pre>${hdrs ? `<pre>${esc(hdrs)}</pre>` : ''}<pre>${esc(excerpt(s.bodyExcerpt, 600) || '(empty body)')}</pre>`;
    })
    .join('');
  return `<div class="f ${r.severity} ${r.status}" id="${anchor(r)}"><h3>${esc(r.probeId)} <small>[${r.severity}]</small> — <code>${esc(`${r.method} ${r.path}`)}</code></h3>
<p>${esc(r.title)}. <span class="k">Reference: ${esc(r.reference)}${r.differs ? ` · contract point that differs from the Python AgentOS: ${esc(r.differs)}` : ''}</span></p>
${r.status === 'xfail' ? `<p><b>Expected failure:</b> ${esc(r.message ?? '')}</p>` : ''}${steps}</div>`;
}

export function renderHtml(result: SuiteResult): string {
  const probes = [...new Set(result.results.map((r) => r.probeId))];
  const ops = [...new Map(result.results.map((r) => [r.operationId, r])).values()];
  const idx = new Map(result.results.map((r) => [`${r.operationId}|${r.probeId}`, r]));
  const s = result.summary;
  const rows = ops
    .map(
      (o) =>
        `<tr><td class="o">${esc(`${o.method} ${o.path}`)}</td>${probes.map((p) => cell(idx.get(`${o.operationId}|${p}`))).join('')}</tr>`,
    )
    .join('\n');
  const fails = result.results
    .filter((r) => r.status === 'fail')
    .sort((a, b) =>
      a.severity === b.severity ? a.probeId.localeCompare(b.probeId) : a.severity === 'MUST' ? -1 : 1,
    );
  const xfails = result.results.filter((r) => r.status === 'xfail');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>AgentOS conformance — ${esc(result.meta.baseUrl)}</title><style>${CSS}</style></head><body>
<h1>AgentOS conformance report</h1>
<p>${esc(result.meta.baseUrl)} · ${esc(result.meta.startedAt)} · mode ${esc(result.meta.mode)} · ${esc(result.meta.alg)} · ${esc(result.meta.tool)}</p>
<table class="sum"><tr><td>checks</td><td>${s.cases}</td><td>passed</td><td>${s.pass}</td><td>failed</td><td>${s.fail} (${s.mustFailures} MUST, ${s.shouldFailures} SHOULD)</td><td>expected failures</td><td>${s.xfail}</td><td>skipped</td><td>${s.skip}</td></tr>
<tr><td>requests</td><td>${s.requests}</td><td>wall time</td><td>${(s.wallMs / 1000).toFixed(1)} s</td><td>throughput</td><td>${s.requestsPerSecond} req/s</td><td>exit code</td><td>${s.exitCode}</td></tr></table>
${result.incomplete ? `<p style="color:#b00"><b>Incomplete:</b> ${esc(result.incomplete)}</p>` : ''}
<ul>${result.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<h2>Operation × probe</h2>
<p class="legend"><span style="background:#3fb950">pass</span><span style="background:#f85149">MUST failure</span><span style="background:#e3b341">SHOULD failure</span><span style="background:#a371f7">expected failure</span><span style="background:#d0d7de">skipped</span>(hover a cell for details; click a failure)</p>
<div style="overflow-x:auto"><table class="m"><tr><th></th>${probes.map((p) => `<th class="p">${esc(p)}</th>`).join('')}</tr>
${rows}</table></div>
<h2>Failures (${fails.length})</h2>${fails.map(failureBlock).join('\n') || '<p>None.</p>'}
${xfails.length ? `<h2>Expected failures (${xfails.length})</h2>${xfails.map(failureBlock).join('\n')}` : ''}
</body></html>
`;
}
