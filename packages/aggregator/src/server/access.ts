/**
 * Bearer tokens: one per carrier (reads releases) and one for operators (closes rounds). Devices
 * need none. Tokens are compared as SHA-256 digests with timingSafeEqual against every configured
 * token, so neither a token's content nor which carrier matched shows in the timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PinholeError } from '@pinhole/core';
import { HttpProblem } from './problem.js';

/** Shorter tokens could be guessed online despite the rate limit. */
export const MIN_TOKEN_LENGTH = 16;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOKEN = /^[\x21-\x7e]+$/;

export interface TokenSet {
  /** the name of the holder of this bearer token, or null */
  match(presented: string): string | null;
  readonly size: number;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function makeTokenSet(entries: readonly (readonly [name: string, token: string])[], param: string): TokenSet {
  const list = entries.map(([name, token], i) => {
    if (!NAME.test(name)) throw new PinholeError('invalid_argument', `${param}[${i}].name`, `"${param}[${i}].name" expected a name of letters, digits, ".", "_" or "-"`);
    if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || !TOKEN.test(token)) {
      // never echo a token
      throw new PinholeError('invalid_argument', `${param}[${i}].token`, `"${param}[${i}].token" (of "${name}") expected at least ${MIN_TOKEN_LENGTH} printable ASCII characters`);
    }
    return { name, digest: digest(token) };
  });
  const digests = new Set(list.map((x) => x.digest.toString('hex')));
  if (digests.size !== list.length) throw new PinholeError('invalid_argument', param, `"${param}" expected a different token for every holder`);
  return {
    size: list.length,
    match(presented: string): string | null {
      const d = digest(presented);
      let found: string | null = null;
      for (const x of list) if (timingSafeEqual(x.digest, d) && found === null) found = x.name;
      return found;
    },
  };
}

function parseEnv(name: string, value: string | undefined): [string, string][] {
  const out: [string, string][] = [];
  if (value === undefined || value.trim() === '') return out;
  for (const part of value.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) throw new PinholeError('invalid_argument', name, `"${name}" expected name=token pairs separated by commas`);
    out.push([part.slice(0, at).trim(), part.slice(at + 1).trim()]);
  }
  return out;
}

/**
 * Carrier and operator tokens from a JSON file `{ "carriers": { "<name>": "<token>" }, "operators":
 * { "<name>": "<token>" } }` and/or the environment (PINHOLE_CARRIER_TOKENS,
 * PINHOLE_OPERATOR_TOKENS: `name=token,name=token`). No carrier token: nobody reads releases.
 */
export function loadTokens(file: string | undefined, env: Readonly<Record<string, string | undefined>>): { carriers: TokenSet; operators: TokenSet } {
  const carriers: [string, string][] = [];
  const operators: [string, string][] = [];
  if (file !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      throw new PinholeError('invalid_argument', '--tokens', `"--tokens" expected a readable JSON file { "carriers": { "<name>": "<token>" }, "operators": { … } }`);
    }
    for (const [key, list] of [
      ['carriers', carriers],
      ['operators', operators],
    ] as const) {
      const section = (json as Record<string, unknown> | null)?.[key];
      if (section === undefined) continue;
      if (typeof section !== 'object' || section === null || Array.isArray(section)) {
        throw new PinholeError('invalid_argument', `--tokens.${key}`, `"--tokens.${key}" expected an object { "<name>": "<token>" }`);
      }
      for (const [name, token] of Object.entries(section)) list.push([name, token as string]);
    }
  }
  carriers.push(...parseEnv('PINHOLE_CARRIER_TOKENS', env.PINHOLE_CARRIER_TOKENS));
  operators.push(...parseEnv('PINHOLE_OPERATOR_TOKENS', env.PINHOLE_OPERATOR_TOKENS));
  return { carriers: makeTokenSet(carriers, 'carriers'), operators: makeTokenSet(operators, 'operators') };
}

/** The bearer token of an Authorization header, or null. */
export function bearer(header: string | undefined): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header.trim());
  return m ? (m[1] as string) : null;
}

/** The name of the token's holder; 401 without a bearer token, 403 with one that is not in the set. */
export function authorize(header: string | undefined, tokens: TokenSet, realm: string): string {
  const token = bearer(header);
  if (token === null) {
    throw new HttpProblem(401, 'unauthorized', 'authorization', `this resource needs a bearer token (${realm})`, { 'www-authenticate': `Bearer realm="${realm}"` });
  }
  const who = tokens.match(token);
  if (who === null) throw new HttpProblem(403, 'forbidden', 'authorization', `the bearer token is not one of this server's ${realm} tokens`);
  return who;
}
