/**
 * HTTP fuzzing of a real server process: requests are generated per route from the server's own
 * OpenAPI document (path parameters, query fields, content types, bodies from the request schema,
 * credentials of every kind, mutated valid bodies, oversized and empty ones). Properties of every
 * answer: never 5xx; a refusal is application/problem+json with a code, a param and no internals;
 * a 2xx is a status and a media type the document lists for the route; a refused request leaves
 * the stored data's digest unchanged; the process stays up.
 */
import fc from 'fast-check';

export interface Operation {
  readonly method: string;
  /** OpenAPI template, e.g. /v1/releases/{roundId} */
  readonly path: string;
  readonly pathParams: readonly string[];
  readonly query: Readonly<Record<string, JsonSchema>>;
  /** request media types with their schemas (empty: no body documented) */
  readonly body: Readonly<Record<string, JsonSchema>>;
  /** documented answers: status → media types (empty list: no content documented) */
  readonly responses: Readonly<Record<string, readonly string[]>>;
}

export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly maxItems?: number;
  readonly pattern?: string;
  readonly format?: string;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string; schema?: JsonSchema }[];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
        responses?: Record<string, { content?: Record<string, unknown> }>;
      }
    >
  >;
}

/** Every operation of an OpenAPI 3 document. */
export function operationsOf(doc: unknown): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries((doc as OpenApiDoc).paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema ?? {}])),
        body: Object.fromEntries(Object.entries(op.requestBody?.content ?? {}).map(([t, c]) => [t, c.schema ?? {}])),
        responses: Object.fromEntries(Object.entries(op.responses ?? {}).map(([s, r]) => [s, Object.keys(r.content ?? {})])),
      });
    }
  }
  return out;
}

/** Values a schema allows, and near misses: the other types, out-of-range numbers, long strings. */
export function fromSchema(s: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const near = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 20 }), fc.constant('x'.repeat(2000)), fc.constant([]), fc.constant({}));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  let good: fc.Arbitrary<unknown>;
  if (s.enum && s.enum.length) good = fc.constantFrom(...s.enum);
  else if (type === 'integer' || type === 'number') {
    const min = s.minimum ?? -1e6;
    const max = s.maximum ?? 1e6;
    good = fc.oneof(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.constantFrom(min - 1, max + 1, -0, 0.5, 2 ** 53, -(2 ** 31)));
  } else if (type === 'boolean') good = fc.boolean();
  else if (type === 'string') {
    good =
      s.pattern === '^[0-9a-f]{32}$'
        ? fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex'))
        : fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 200) });
  } else if (type === 'array') good = depth > 2 ? fc.constant([]) : fc.array(fromSchema(s.items ?? {}, depth + 1), { maxLength: Math.min(s.maxItems ?? 5, 5) });
  else if (type === 'object' || s.properties) {
    if (depth > 2) good = fc.constant({});
    else {
      const props = s.properties ?? {};
      const entries = Object.entries(props).map(([k, v]) => [k, fromSchema(v, depth + 1)] as const);
      good = fc
        .tuple(fc.record(Object.fromEntries(entries), { requiredKeys: (s.required ?? []).filter((k) => k in props) }), fc.dictionary(fc.string({ maxLength: 8 }), near, { maxKeys: 2 }))
        .map(([a, extra]) => ({ ...extra, ...a }));
    }
  } else good = near;
  return fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: near });
}

/** Strings for a path segment: known values, junk, and raw text that is not valid percent-encoding. */
function pathSegment(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known, 'x', '0', 'current').map(encodeURIComponent) },
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom('%E0%A4%A', '%', '%00', '..', '.', '%2e%2e%2f', 'a%2Fb', 'x'.repeat(300), '%ff%fe') },
  );
}

export interface Credentials {
  /** tokens of each role, plus ones learned while fuzzing (sessions a join returned) */
  readonly tokens: () => readonly string[];
}

export interface FuzzRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | undefined;
}

/** Requests for one operation (`known` feeds path parameters, `validBodies` the mutations). */
export function requestsFor(op: Operation, known: readonly string[], creds: Credentials, validBodies: readonly Uint8Array[], maxBody: number): fc.Arbitrary<FuzzRequest> {
  const path = fc.tuple(...op.pathParams.map(() => pathSegment(known))).map((segs) => {
    let p = op.path;
    op.pathParams.forEach((name, i) => (p = p.replace(`{${name}}`, segs[i] as string)));
    return p;
  });
  const queryValue = (s: JsonSchema) => fromSchema(s).map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? '')));
  const query = fc
    .tuple(
      // a long poll's `wait` is kept short (a valid one holds the request up to a minute)
      fc.record(Object.fromEntries(Object.entries(op.query).map(([k, s]) => [k, k === 'wait' ? fc.constantFrom('0', '1', '61', '-1', 'x', '0.5', '') : queryValue(s)])), { requiredKeys: [] }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 1 }),
      fc.boolean(),
    )
    .map(([q, extra, withExtra]) => {
      const all = { ...(withExtra ? extra : {}), ...q } as Record<string, string>;
      const text = new URLSearchParams(all).toString();
      return text ? `?${text}` : '';
    });
  const auth = fc.oneof(
    fc.constant(undefined),
    fc.nat().map((i) => {
      const t = creds.tokens();
      return t.length ? `Bearer ${t[i % t.length] as string}` : undefined;
    }),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'bearer x', `Bearer ${'a'.repeat(5000)}`),
    fc.string({ maxLength: 30 }).map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, 'a')}`),
  );
  const documentedTypes = Object.keys(op.body);
  const contentType = fc.oneof(
    { weight: 4, arbitrary: documentedTypes.length ? fc.constantFrom(...documentedTypes) : fc.constant(undefined) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        undefined,
        'application/json',
        'application/msgpack',
        'application/octet-stream',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        'application/problem+json',
        ';;',
        'application/msgpack; x=y',
      ),
    },
  );
  const accept = fc.constantFrom(undefined, '*/*', 'application/json', 'application/xml', 'text/csv', 'application/msgpack', 'text/plain;q=0', '');
  const schemaBody = (type: string | undefined): fc.Arbitrary<Uint8Array> => {
    const s = type !== undefined ? op.body[type] : undefined;
    const json = s && (s.type === 'object' || s.properties) ? fromSchema(s) : fc.jsonValue({ maxDepth: 2 });
    return json.map((v) => new TextEncoder().encode(JSON.stringify(v) ?? 'null'));
  };
  const mutated = validBodies.length
    ? fc.tuple(fc.constantFrom(...validBodies), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('truncate', 'flip', 'append')).map(([b, at, n, byte, how]) => {
        const i = b.length ? at % b.length : 0;
        if (how === 'truncate') return b.slice(0, i);
        if (how === 'append') return Uint8Array.from([...b, ...new Uint8Array(1 + (n % 40)).fill(byte)]);
        const c = b.slice();
        if (c.length) c[i] = byte;
        return c;
      })
    : fc.uint8Array({ maxLength: 100 });
  const body = (type: string | undefined): fc.Arbitrary<Uint8Array | undefined> =>
    fc.oneof(
      { weight: 4, arbitrary: schemaBody(type) },
      { weight: 3, arbitrary: mutated },
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
      { weight: 1, arbitrary: fc.constantFrom(undefined, new Uint8Array(0), new TextEncoder().encode('{"a":'), new TextEncoder().encode('[]'), new TextEncoder().encode('null')) },
      { weight: 1, arbitrary: fc.integer({ min: maxBody - 16, max: maxBody + 4096 }).map((n) => new Uint8Array(n).fill(0x61)) },
    );
  const method = fc.oneof({ weight: 12, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') });
  return fc.tuple(method, path, query, auth, contentType, accept).chain(([m, p, q, a, ct, acc]) =>
    (m === 'GET' || m === 'HEAD' ? fc.constant(undefined) : body(ct)).map((b) => {
      const headers: Record<string, string> = {};
      if (a !== undefined) headers.authorization = a;
      if (ct !== undefined && b !== undefined) headers['content-type'] = ct;
      if (acc !== undefined) headers.accept = acc;
      return { method: m, url: `${p}${q}`, headers, body: b };
    }),
  );
}

export interface Answer {
  readonly status: number;
  readonly type: string;
  readonly text: string;
}

export async function send(base: string, r: FuzzRequest): Promise<Answer> {
  const res = await fetch(`${base}${r.url}`, { method: r.method, headers: r.headers, body: (r.body ?? null) as Uint8Array<ArrayBuffer> | null, redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text };
}

const INTERNALS = /\bat [\w.<>]+ \(|\bat file:|node_modules|\/work\/|\/tmp\/|\/home\/|\.ts:\d+|\.js:\d+|Error: /;

/** Throws unless the answer is a documented 2xx or a clean 4xx problem. */
export function checkAnswer(op: Operation | undefined, r: FuzzRequest, a: Answer): void {
  const what = `${r.method} ${r.url} → ${a.status} ${a.type} ${a.text.slice(0, 300)}`;
  if (a.status >= 500 || a.status < 200) throw new Error(`server error or unexpected status: ${what}`);
  if (INTERNALS.test(a.text)) throw new Error(`an answer shows server internals: ${what}`);
  if (a.status >= 400) {
    if (r.method === 'HEAD') return; // no body to carry the problem
    if (!a.type.startsWith('application/problem+json')) throw new Error(`a refusal that is not problem+json: ${what}`);
    const p = JSON.parse(a.text) as { status?: unknown; code?: unknown; param?: unknown };
    if (p.status !== a.status || typeof p.code !== 'string' || typeof p.param !== 'string') throw new Error(`a problem without status, code and param: ${what}`);
    return;
  }
  if (a.status >= 300) throw new Error(`a redirect: ${what}`);
  if (op === undefined || r.method !== op.method) {
    if (r.method === 'HEAD' || r.method === 'OPTIONS') return; // HEAD of a GET route; CORS preflight
    throw new Error(`a 2xx for an undocumented operation: ${what}`);
  }
  const types = op.responses[String(a.status)];
  if (types === undefined) throw new Error(`an undocumented status: ${what}`);
  const media = a.type.split(';')[0]?.trim() ?? '';
  if (types.length && !types.includes(media)) throw new Error(`an undocumented media type (documented: ${types.join(', ')}): ${what}`);
  if (media === 'application/json') JSON.parse(a.text);
}

export interface HttpFuzzServer {
  readonly base: string;
  /** digest of everything the server stores */
  digest(): string;
  alive(): boolean;
}

/**
 * Runs `numRuns` generated requests against one operation, one at a time: every answer checked,
 * and the stored digest compared around every refused request. `onAccepted` sees 2xx answers (to
 * learn session tokens).
 */
export async function fuzzOperation(
  server: HttpFuzzServer,
  op: Operation,
  requests: fc.Arbitrary<FuzzRequest>,
  numRuns: number,
  seed: number,
  onAccepted: (r: FuzzRequest, a: Answer) => void = () => undefined,
): Promise<void> {
  let digest = server.digest();
  await fc.assert(
    fc.asyncProperty(requests, async (r) => {
      const a = await send(server.base, r);
      if (!server.alive()) throw new Error(`the server exited after ${r.method} ${r.url}`);
      checkAnswer(op, r, a);
      const after = server.digest();
      if (a.status >= 400 && after !== digest) throw new Error(`a refused request changed the stored data: ${r.method} ${r.url} → ${a.status} ${a.text.slice(0, 200)}`);
      digest = after;
      if (a.status < 300) onAccepted(r, a);
    }),
    { numRuns, seed, endOnFailure: true },
  );
}
