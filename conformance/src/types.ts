/**
 * @module types — the shapes shared by the planner, the runner and the reports: probes, cases,
 * steps, expectations and results.
 */
import type { TokenSpec } from './tokens.js';

export type Severity = 'MUST' | 'SHOULD';
export type Family =
  | 'TOK'
  | 'SCOPE'
  | 'PUB'
  | 'PATH'
  | 'FILTER'
  | 'ISO'
  | 'HYG'
  | 'DIFF'
  | 'SURFACE'
  | 'OBJ'
  | 'ROLE'
  | 'KEY'
  | 'WS';

/** A probe of the catalog: stable id, severity and the clause it enforces. */
export interface ProbeInfo {
  id: string;
  family: Family;
  severity: Severity;
  title: string;
  /** Contract section, RFC or OWASP clause. */
  reference: string;
  /** Set when the probe checks a point where contract.md says **(differs)** from the Python AgentOS. */
  differs?: string;
}

/** A request as planned: path already rendered (raw, sent byte for byte), token as a spec. */
export interface PlannedRequest {
  method: string;
  /** Raw request target after the base URL's path (starts with `/`), query included. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Token to mint; the Authorization header is built from it per `auth`. */
  token?: TokenSpec;
  /**
   * How the token is sent: `bearer` (default) `Authorization: Bearer <t>`; a template such as
   * `bearer {token}` or `Basic {token}` for scheme probes; `query` as `?access_token=`.
   */
  auth?: 'bearer' | 'query' | { template: string } | { cookie: string };
  /** Send the request target in absolute form (`GET http://host/path`). */
  absoluteForm?: boolean;
}

/** What a step's response must look like. `check` returns a failure message or undefined. */
export interface Expectation {
  describe: string;
  check(res: HttpResponse, ctx: CheckContext): string | undefined;
}

export interface CheckContext {
  token: string | undefined;
}

export interface Step {
  label: string;
  request: PlannedRequest;
  expect: Expectation;
  /** The oracle's view, recorded in reports: `deny`, `allow`, `filter:[a,b]`, `401`. */
  oracle?: string;
  /** What kind of refusal this step provokes, for the response-hygiene checks (family F). */
  hyg?: { kind: 'no-token' | 'bad-token' | 'malformed' | 'insufficient'; required?: string[] };
}

/** One (operation × probe) test case. */
export interface Case {
  probe: ProbeInfo;
  operationId: string;
  method: string;
  path: string;
  steps: Step[];
  /** Cases run phase by phase (0 first); within a phase, concurrently. */
  phase: number;
  /** Skip (with this reason) instead of running. */
  skip?: string;
  /** Skip this case when the named probe failed on the same operation. */
  gate?: string;
  /** A check after all phases ran (e.g. the jku listener saw no fetch). */
  finalCheck?: (run: RunState) => string | undefined;
  /** Free-form note carried into the report. */
  note?: string;
  /**
   * A scripted case: requests that depend on earlier answers (a run created, then attacked). Runs
   * instead of `steps`; each `io.send` is recorded as a step.
   */
  script?: (io: ScriptIO) => Promise<void>;
}

/** What a scripted case can do: send (recorded, checked when an expectation is given), skip. */
export interface ScriptIO {
  send(
    label: string,
    request: PlannedRequest,
    expect?: Expectation,
    oracle?: string,
  ): Promise<ScriptResponse>;
  /** Ends the case as skipped with this reason (a precondition the target did not meet). */
  skip(reason: string): never;
}

export interface ScriptResponse extends HttpResponse {
  /** The body parsed as JSON, or undefined. */
  json: unknown;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  elapsedMs: number;
  /** Transport failure (timeout, connection reset …); status is 0 then. */
  error?: string;
}

export interface RunState {
  listenerHits: Map<string, number>;
}

export type CaseStatus = 'pass' | 'fail' | 'skip' | 'xfail' | 'xpass';

export interface StepResult {
  label: string;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody?: string;
  expected: string;
  oracle?: string;
  status: number;
  responseHeaders: Record<string, string>;
  bodyExcerpt: string;
  elapsedMs: number;
  error?: string;
  hyg?: Step['hyg'];
  pass: boolean;
  message?: string;
  /** curl reproduction with the token redacted. */
  curl: string;
  /** The `agentos-token` command minting an equivalent token (when the step sent one). */
  mint?: string;
}

export interface CaseResult {
  probeId: string;
  family: Family;
  severity: Severity;
  title: string;
  reference: string;
  differs?: string;
  operationId: string;
  method: string;
  path: string;
  status: CaseStatus;
  /** Failure message, skip reason or expected-failure explanation. */
  message?: string;
  note?: string;
  steps: StepResult[];
}
